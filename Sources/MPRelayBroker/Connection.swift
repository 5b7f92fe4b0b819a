import Crypto
import Dispatch
import Glibc
import Logging
import MPRelayCommon
import MPRelayConfig
import MPRelayLogging
import MPRelayPOSIX
import MPRelayProtocol
import MPRelayTLS
import Synchronization

/// One accepted client, from the handshake to the close, on its own serial queue `Connection-N`.
///
/// Everything but ``outbound`` is confined to ``queue`` (checked with `dispatchPrecondition`),
/// which is what makes the `@unchecked Sendable` honest. Other connections only ever touch
/// ``outbound``, under its lock, to queue frames for this one.
final class Connection: @unchecked Sendable {
    /// Where a connection is in its life.
    enum Phase {
        case handshaking(ServerHandshake)
        case awaitingHello(HandshakeOutcome)
        case registered(PeerName, HandshakeOutcome)
        case closing
    }

    let id: Int
    let queue: DispatchQueue
    let fd: Int32
    let remote: String
    /// The client's address without the port (or its uid), for counting failed handshakes.
    let origin: String
    /// The endpoint as it was at accept: the keys and principals the handshake checks.
    let endpoint: EndpointDescription
    /// The endpoint itself, whose current rules a finished handshake is checked against, so a
    /// key revoked by a reload during the handshake does not get in.
    let listener: Endpoint
    let context: RelayContext
    let outbound = Mutex(Outbound())
    let meters = ConnectionMeters()
    /// Whether the endpoint wraps this connection in TLS: then only its own queue writes its
    /// socket, since the TLS session is confined there.
    let isTLS: Bool
    var logger: Logger

    // Confined to `queue`. The properties the relay path touches for every message skip Swift's
    // dynamic exclusivity checks: a class's stored properties are checked at run time on every
    // access, which was 7.6% of the daemon's samples at 64 B. They are only ever accessed from
    // this connection's queue, one access at a time.
    var phase: Phase
    @exclusivity(unchecked) var decoder = FrameDecoder(maxBodyLength: HandshakeMessage.maxFrameLength)
    @exclusivity(unchecked) var limits: RelayLimits
    /// The name of a HELLO; once registered, the name stamped on every DELIVER.
    @exclusivity(unchecked) var nameBytes: [UInt8] = []
    /// Registered and not closing: SENDs take the relay path without looking at ``phase``.
    @exclusivity(unchecked) var isRelaying = false
    /// Whether per-message SUBDEBUG lines are wanted, read once per read batch.
    @exclusivity(unchecked) var traceEnabled = false
    var pendingFlushes: [Connection] = []
    @exclusivity(unchecked) var route = RouteCache()
    /// DELIVERs written for one receiver under a reservation, not yet handed over.
    @exclusivity(unchecked) var staging = DeliveryStaging()
    /// The buffer this connection lends when it writes a receiver's frames directly.
    var directWriteSpare: [UInt8] = []
    /// The principal the handshake bound this connection to, and what of its quota it holds.
    var principal: PrincipalConfig?
    var holdsPrincipalConnection = false
    /// Whether this connection still counts against `max_handshakes` (taken at accept).
    var holdsHandshakeSlot = true
    var holdsPrincipalName = false
    /// Refusals are logged at most once a second per connection; this counts the ones in between.
    var denialLog = DenialLogThrottle()
    var batch = PeerCounters()
    private var inflightFrames = 0
    var lastHeard = DispatchTime.now()
    /// An answer took this connection's own queue to the outbound bound: the decoder pauses after
    /// the frame being handled.
    @exclusivity(unchecked) var answersAtBound = false
    var pingOutstanding = false
    /// The socket's registration with the ``ReadinessPoller``, from start to teardown.
    private var registration: ReadinessPoller.Registration?
    /// Whether this connection takes envelopes from its peer (not once closing or shutting down).
    var isReading = false
    /// A write would have blocked: the next writable event flushes.
    private var awaitingRoom = false
    /// The connection's registration with the ``DeadlineScheduler``, from start to teardown.
    private var deadlines: DeadlineScheduler.Registration?
    /// The handshake deadline, then the idle check, then the drain limit; see ``armTimer(after:)``.
    private var deadline = DispatchTime.distantFuture
    /// Bytes being written: the frames of one batch, or for TLS their records (and handshake
    /// records), of which `inflightOffset` are written.
    var inflight: [UInt8] = []
    private var inflightOffset = 0
    /// The queued bytes `inflight` stands for: its length, but for TLS the plaintext's.
    private var inflightPlainBytes = 0
    /// The TLS session, from start to teardown; nil for plain connections.
    var tls: TLSSession?
    /// What the TLS handshake agreed on, once it is complete.
    var tlsPeer: TLSPeerInfo?
    /// A read turn during the TLS handshake was handed on to a queued turn.
    private var tlsTurnDeferred = false
    private var tornDown = false

    init(fd: Int32, remote: String, origin: String, listener: Endpoint, context: RelayContext) {
        let endpoint = listener.description
        self.listener = listener
        self.id = context.makeConnectionID()
        self.queue = DispatchQueue(label: "Connection-\(id)")
        self.fd = fd
        self.remote = remote
        self.origin = origin
        self.endpoint = endpoint
        self.isTLS = endpoint.tls != nil
        self.context = context
        self.limits = context.limits
        var logger = context.logger
        logger[metadataKey: MultiprocessingLogHandler.processNameKey] = "Connection-\(id)"
        logger[metadataKey: "connection"] = "\(id)"
        self.logger = logger
        self.phase = .handshaking(ServerHandshake(keys: endpoint.keys, nonce: HandshakeMessage.makeNonce(), policy: endpoint.policy))
    }

    /// Starts reading and sends the challenge; the handshake clock starts now.
    func start() {
        queue.sync {
            deadlines = DeadlineScheduler.shared.register(on: queue) { [self] in deadlineReached() }
            armTimer(after: limits.handshakeTimeout)
            isReading = true
            do {
                registration = try ReadinessPoller.shared.watch(fd, on: queue) { [self] readiness in socketReady(readiness) }
            } catch {
                teardown(reason: "\(error)", level: .error)
                return
            }
            if isTLS { startTLS() } else { beginHandshake() }
        }
    }

    /// Called by the poller on this queue: flushes when a blocked write has room again, and reads
    /// for one turn when there is something to read.
    private func socketReady(_ readiness: ReadinessPoller.Readiness) -> Bool {
        if readiness.contains(.writable) {
            if awaitingRoom {
                awaitingRoom = false
                flush()
            }
            if !awaitingRoom { expectRoom(false) }
        }
        guard readiness.contains(.readable) else { return true }
        if let tls, !tls.isHandshakeComplete, !tlsTurnDeferred {
            // The TLS handshake's public-key work runs in the turn queued after this one, on
            // Dispatch's threads, not on the poller thread that saw the event.
            tlsTurnDeferred = true
            return false
        }
        tlsTurnDeferred = false
        return readAvailable()
    }

    /// Asks the poller for writable events while a write is pending, and stops them once it is
    /// done; a registration the kernel refuses to change closes this connection alone.
    private func expectRoom(_ wanted: Bool) {
        guard let registration else { return }
        do {
            try ReadinessPoller.shared.expectRoom(registration, wanted)
        } catch {
            teardown(reason: "\(error)", level: .error)
        }
    }

    // MARK: Reading

    /// Reads for one turn: until the socket is empty, or ``readsPerTurn`` reads so that other
    /// connections get their turn. Returns whether the socket is empty (or reading stopped); the
    /// ``ReadinessPoller`` queues the next turn otherwise.
    private func readAvailable() -> Bool {
        dispatchPrecondition(condition: .onQueue(queue))
        guard isReading else { return true }
        limits = context.limits
        traceEnabled = logger.logLevel <= .trace
        let drained = ReadScratch.withBuffer { scratch in
            for _ in 0..<Self.readsPerTurn {
                guard isReading, !isClosing else { return true }
                guard !pauseReadingIfBacklogged() else { return true }
                if decoder.holdsWholeFrame {
                    // Frames held back when the answers reached the bound go before new bytes.
                    feed(UnsafeRawBufferPointer(start: nil, count: 0))
                    continue
                }
                switch SocketIO.read(fd, into: scratch) {
                case .transferred(let count):
                    lastHeard = .now()
                    pingOutstanding = false
                    if let tls {
                        receiveTLS(UnsafeRawBufferPointer(rebasing: scratch[..<count]), tls, scratch: scratch)
                    } else {
                        feed(UnsafeRawBufferPointer(rebasing: scratch[..<count]))
                    }
                case .wouldBlock:
                    return true
                case .endOfFile:
                    teardown(reason: "peer closed the connection", level: .info)
                    return true
                case .failed(let error):
                    teardown(reason: "read failed: \(String(cString: strerror(error)))", level: .info)
                    return true
                }
            }
            return false
        }
        finishBatch()
        return drained
    }

    /// Stops reading while this connection's own queue is at the outbound bound: a peer that
    /// sends faster than it reads the broker's answers (errors, ACKs) or its deliveries is slowed
    /// down by its socket filling, instead of being disconnected when its answers pile up. The
    /// flush that takes the queue below the bound starts reading again; a peer that reads nothing
    /// for `slow_consumer_timeout` meanwhile is disconnected as a slow consumer.
    private func pauseReadingIfBacklogged() -> Bool {
        let bound = limits.maxOutboundBytes
        let pausing: Bool? = outbound.withLock { state in
            guard state.queuedBytes >= bound else { return nil }
            defer { state.resumeReadingBelow = bound }
            if state.fullSince == nil { state.fullSince = DispatchTime.now().uptimeNanoseconds }
            return state.resumeReadingBelow == nil
        }
        guard let pausing else { return false }
        if pausing, limits.slowConsumerTimeout > 0 { armTimer(notAfter: limits.slowConsumerTimeout) }
        return true
    }

    /// Reads of up to ``ReadScratch/size`` bytes before a connection yields its thread.
    static let readsPerTurn = 8

    func feed(_ bytes: UnsafeRawBufferPointer) {
        do {
            try decoder.feed(bytes) { frame in
                let directive = handleFrame(frame)
                guard answersAtBound else { return directive }
                // Its answers fill this connection's queue: take no more of its frames until the
                // peer has read some (``pauseReadingIfBacklogged()``).
                answersAtBound = false
                if case .proceed = directive { return .pause }
                return directive
            }
        } catch let error as FrameError {
            frameError(error)
        } catch {
            teardown(reason: "\(error)", level: .warning)
        }
    }

    private func frameError(_ error: FrameError) {
        if case .handshaking = phase {
            authenticationFailed("sent an invalid handshake frame: \(error)")
            return
        }
        switch error {
        case .tooLarge:
            fail(.messageTooLarge, text: "\(error); the body was not read")
        case .negativeLength:
            fail(.malformedFrame, text: "\(error)")
        }
    }

    /// Publishes the batch's effects: flushes receivers that got frames, then this connection.
    private func finishBatch() {
        commitStaging()
        if batch.messages > 0 {
            context.statistics.messagesRelayed.add(batch.messages, ordering: .relaxed)
            context.statistics.bytesRelayed.add(batch.bytes, ordering: .relaxed)
            meters.messagesIn.add(batch.messages, ordering: .relaxed)
            meters.bytesIn.add(batch.bytes, ordering: .relaxed)
            batch = PeerCounters()
        }
        for receiver in pendingFlushes where receiver !== self {
            if !receiver.writeDirectly(using: &directWriteSpare) { receiver.scheduleFlush() }
        }
        pendingFlushes.removeAll(keepingCapacity: true)
        flush()
    }

    var isClosing: Bool {
        if case .closing = phase { return true }
        return false
    }

    // MARK: Writing

    /// Queues a frame for this connection from any queue. `bound` defaults to the outbound limit.
    func enqueue(frameLength: Int, bound: Int, maxFrames: Int = .max, _ write: (inout [UInt8]) -> Void) -> Outbound.AppendOutcome {
        outbound.withLock { $0.append(frameLength: frameLength, bound: bound, maxFrames: maxFrames, write) }
    }

    /// Called by a sender whose frame did not fit: disconnects this receiver once it has been
    /// full for longer than `slow_consumer_timeout`.
    /// The first refusal also sets this receiver's timer, so that it is dropped on time even if
    /// nobody sends to it again.
    func refusedFrame(timeout: Double) {
        guard timeout > 0 else { return }
        let (since, arm): (UInt64?, Bool) = outbound.withLock { state in
            defer { if state.fullSince != nil { state.slowConsumerCheckArmed = true } }
            return (state.fullSince, !state.slowConsumerCheckArmed)
        }
        guard let since else { return }
        let stuck = Double(DispatchTime.now().uptimeNanoseconds - since) / 1e9
        if stuck > timeout {
            queue.async { [self] in
                guard case .registered = phase else { return }
                failSlowConsumer(timeout: timeout)
            }
        } else if arm {
            queue.async { [self] in armTimer(notAfter: timeout - stuck + 0.001) }
        }
    }

    /// How long this connection's queue has been full without a batch of it being written: since
    /// a sender was first refused, or since reading paused at the bound. Nil when it is not full.
    func secondsFull() -> Double? {
        guard let since = outbound.withLock({ $0.fullSince }) else { return nil }
        return Double(DispatchTime.now().uptimeNanoseconds - since) / 1e9
    }

    /// ERROR `slow consumer` behind what is queued, and the close once it is written.
    func failSlowConsumer(timeout: Double) {
        fail(.slowConsumer, text: "the outbound queue stayed full for more than slow_consumer_timeout (\(timeout) s)")
    }

    /// Queues a frame this connection sends about itself (handshake, replies, errors) and flushes it
    /// at the end of the current batch. Once the queue reaches the outbound bound the decoder
    /// pauses after the frame being handled, so answers overshoot the bound by at most one
    /// frame's worth; a queue at twice the bound means a peer that cannot be paused, and is
    /// disconnected.
    func sendToSelf(_ frame: [UInt8]) {
        let bound = limits.maxOutboundBytes
        let (outcome, queuedBytes) = outbound.withLock { state in
            (state.append(frameLength: frame.count, bound: 2 * bound) { $0.append(contentsOf: frame) }, state.queuedBytes)
        }
        switch outcome {
        case .queued, .queuedNeedsFlush:
            pendingFlushes.append(self)
            if queuedBytes >= bound { answersAtBound = true }
        case .full:
            teardown(reason: "does not read its replies (outbound queue over \(2 * limits.maxOutboundBytes) bytes)", level: .warning)
        case .closed:
            break
        }
    }

    func scheduleFlush() {
        queue.async { [self] in flush() }
    }

    /// Writes queued frames until done or the socket is full.
    func flush() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !tornDown else { return }
        while true {
            if inflightOffset == inflight.count {
                let written = inflightPlainBytes
                if inflight.capacity > 65_536 { inflight = [] } else { inflight.removeAll(keepingCapacity: true) }
                inflightOffset = 0
                var resumeReading = false
                let swapped: Int? = outbound.withLock { state in
                    if written == 0 && state.writing {
                        // A sender is writing directly; it schedules a flush for what it leaves.
                        state.flushScheduled = false
                        return nil
                    }
                    state.queuedBytes -= written
                    state.queuedFrames -= inflightFrames
                    if let below = state.resumeReadingBelow, state.queuedBytes < below {
                        state.resumeReadingBelow = nil
                        resumeReading = true
                    }
                    swap(&state.pending, &inflight)
                    state.writing = !inflight.isEmpty
                    if inflight.isEmpty { state.flushScheduled = false }
                    if written > 0 { state.fullSince = nil }
                    defer { state.pendingFrames = 0 }
                    return state.pendingFrames
                }
                if resumeReading, let registration { ReadinessPoller.shared.wake(registration) }
                guard let swapped else { return }
                inflightFrames = swapped
                inflightPlainBytes = inflight.count
                if inflight.isEmpty {
                    flushCompleted()
                    return
                }
                if let tls, !encrypt(&inflight, tls) { return }
            }
            let result = inflight.withUnsafeBytes { SocketIO.write(fd, UnsafeRawBufferPointer(rebasing: $0[inflightOffset...])) }
            switch result {
            case .transferred(let count):
                inflightOffset += count
            case .wouldBlock:
                awaitingRoom = true
                expectRoom(true)
                return
            case .endOfFile, .failed:
                teardown(reason: "write failed: peer went away", level: .info)
                return
            }
        }
    }

    /// Everything queued is written: a closing connection can go now.
    private func flushCompleted() {
        if isClosing { teardown(reason: closeReason ?? "closed", level: .debug) }
    }

    // MARK: Closing

    private var closeReason: String?

    /// Stops reading, lets queued frames flush (for at most `drain` seconds), then closes.
    func closeAfterFlush(reason: String, drain: Double = 2) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !tornDown, !isClosing else { return }
        leaveRegistry()
        releasePrincipalQuota()
        phase = .closing
        isRelaying = false
        closeReason = reason
        isReading = false
        armTimer(after: drain)
        flush()
    }

    /// Closes now: releases the name, discards what is queued, leaves the poller and the deadline
    /// scheduler, and closes the file descriptor (or leaves that to a sender still writing to it
    /// directly, the last to let go). Turns of the poller or the scheduler already on their way
    /// find the connection torn down and touch nothing.
    func teardown(reason: String, level: Logger.Level) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !tornDown else { return }
        tornDown = true
        releaseHandshakeSlot()
        leaveRegistry()
        releasePrincipalQuota()
        phase = .closing
        isRelaying = false
        outbound.withLock { state in
            state.closed = true
            state.pending = []
            state.queuedBytes = 0
        }
        inflight = []
        logger.log(level: level, "disconnected\(peerSuffix): \(reason)")
        isReading = false
        if let registration {
            ReadinessPoller.shared.cancel(registration)
            self.registration = nil
        }
        if let deadlines {
            DeadlineScheduler.shared.cancel(deadlines)
            self.deadlines = nil
        }
        if outbound.withLock({ state in state.descriptorHolds -= 1; return state.descriptorHolds == 0 }) { close(fd) }
        route = RouteCache()
        // The batch that tore the connection down may still flush receivers it wrote to; what
        // it leaves behind, including this connection itself, is let go after it.
        queue.async { [self] in pendingFlushes = [] }
        context.connectionClosed(self)
    }

    /// Sets the connection's one deadline, `seconds` from now; nil clears it. ``timerFired()``
    /// runs once it has passed.
    func armTimer(after seconds: Double?) {
        deadline = seconds.map { .now() + $0 } ?? .distantFuture
        if let deadlines { DeadlineScheduler.shared.schedule(deadlines, at: deadline) }
    }

    /// Brings the connection's one deadline forward to `seconds` from now, unless it is sooner.
    func armTimer(notAfter seconds: Double) {
        let wanted = DispatchTime.now() + seconds
        guard wanted < deadline else { return }
        armTimer(after: seconds)
    }

    /// Called by the scheduler at a deadline this connection set, which may have moved since.
    private func deadlineReached() {
        guard !tornDown, let deadlines else { return }
        if DispatchTime.now() >= deadline {
            deadline = .distantFuture
            timerFired()
        } else {
            DeadlineScheduler.shared.schedule(deadlines, at: deadline)
        }
    }

    /// Releases the registered name and tells the watchers, once: after handing over what this
    /// peer sent, so that a watcher sees its LEFT after its last message.
    private func leaveRegistry() {
        guard case .registered(let name, _) = phase else { return }
        commitStaging()
        let watchers = context.registry.unregister(name, self)
        let left = Envelope.peerLeft(name).encodedFrame()
        for watcher in watchers { watcher.enqueuePresence(left) }
    }

    /// ` (peer NAME)` once registered (and after), ` (HELLO for NAME)` for a refused HELLO, for
    /// log lines.
    var peerSuffix: String {
        if let identity = meters.identity { return " (peer \(identity.name))" }
        return nameBytes.isEmpty ? "" : " (HELLO for \(String(decoding: nameBytes, as: UTF8.self)))"
    }
}

extension Connection {
    /// Shutdown, first step: take no more envelopes from this peer.
    func stopReading() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !tornDown else { return }
        isReading = false
    }

    /// Shutdown, second step: after what is queued, GOODBYE, then close.
    func sayGoodbye(_ goodbye: [UInt8], drain: Double) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !tornDown else { return }
        guard case .registered = phase else {
            teardown(reason: "the broker is shutting down", level: .debug)
            return
        }
        sendToSelf(goodbye)
        closeAfterFlush(reason: "the broker is shutting down", drain: drain)
    }
}

extension Connection {
    /// After a reload: the connection takes its principal's new rights, or is disconnected when
    /// its endpoint no longer lists that principal with the key it proved. Peers of an endpoint
    /// that was removed keep their connection and rights; the endpoint only stops accepting.
    func applyReload(_ endpoints: [EndpointAddress: EndpointConfig]) {
        dispatchPrecondition(condition: .onQueue(queue))
        limits = context.limits
        let outcome: HandshakeOutcome
        switch phase {
        case .awaitingHello(let established), .registered(_, let established):
            outcome = established
        case .handshaking, .closing:
            return
        }
        guard let configured = endpoints[endpoint.configuredAddress] else { return }
        guard let renewed = endpoint.principal(ofKey: outcome.keyIndex, in: configured.principals) else {
            fail(.kicked, text: "its key or principal was removed from endpoint \(endpoint.configuredAddress) by a configuration reload")
            return
        }
        principal = renewed
        route.forget()
    }
}

extension Connection {
    /// The peer as the control socket shows it, read without entering the connection's queue;
    /// nil until it registers.
    var snapshot: PeerSnapshot? {
        guard let identity = meters.identity else { return nil }
        let queue = outbound.withLock { ($0.totalFrames, $0.totalBytes, $0.queuedFrames, $0.queuedBytes) }
        return PeerSnapshot(
            name: identity.name.description,
            connectionID: id,
            endpoint: endpoint.address.description,
            remote: remote,
            connectedSince: identity.registeredAt,
            digest: identity.digest,
            messagesIn: meters.messagesIn.load(ordering: .relaxed),
            bytesIn: meters.bytesIn.load(ordering: .relaxed),
            messagesOut: queue.0,
            bytesOut: queue.1,
            queuedFrames: queue.2,
            queuedBytes: queue.3,
            tls: identity.tls
        )
    }
}

extension Connection {
    /// Writes this connection's queued frames from the calling sender's thread when nobody else
    /// is writing or feeding them, which saves a hop through this connection's queue (a wake-up per batch,
    /// most of a round trip's latency). Order holds because only one writer runs at a time and a
    /// partly written batch is handed to this connection's queue before anything after it.
    ///
    /// - Parameter spare: the caller's empty buffer, swapped with the queued frames.
    /// - Returns: false when it wrote nothing and the caller must schedule a flush instead.
    func writeDirectly(using spare: inout [UInt8]) -> Bool {
        guard !isTLS else { return false }
        var frames = 0
        let taken = outbound.withLock { state in
            // Only for a receiver nobody else is feeding right now (no other sender's reservation):
            // with many senders, small direct writes from each would cost more than one batch
            // written by the receiver's own queue.
            guard !state.closed, !state.writing, !state.pending.isEmpty, state.queuedBytes == state.pending.count else {
                return false
            }
            state.writing = true
            state.flushScheduled = false
            state.descriptorHolds += 1
            swap(&state.pending, &spare)
            frames = state.pendingFrames
            state.pendingFrames = 0
            return true
        }
        guard taken else { return false }
        var offset = 0
        var failed = false
        writing: while offset < spare.count {
            switch spare.withUnsafeBytes({ SocketIO.write(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
            case .transferred(let count): offset += count
            case .wouldBlock: break writing
            case .endOfFile, .failed:
                failed = true
                break writing
            }
        }
        let complete = offset == spare.count
        let (closeDescriptor, scheduleFollowUp) = outbound.withLock { state in
            state.descriptorHolds -= 1
            if !state.closed {
                if complete {
                    state.queuedBytes -= spare.count
                    state.queuedFrames -= frames
                    state.fullSince = nil
                } else {
                    state.queuedBytes -= offset
                }
            }
            let handOver = !complete && !failed && !state.closed
            if !handOver { state.writing = false }
            // The receiver's own flush restarts its reading once its queue is below the bound.
            let mayResume = state.resumeReadingBelow.map { state.queuedBytes < $0 } ?? false
            let followUp = !handOver && !state.closed && (failed || mayResume || (!state.pending.isEmpty && !state.flushScheduled))
            if followUp { state.flushScheduled = true }
            return (state.descriptorHolds == 0, followUp)
        }
        if closeDescriptor { close(fd) }
        if !complete && !failed && !closeDescriptor {
            let remainder = Array(spare[offset...])
            queue.async { [self, frames] in adoptPartialBatch(remainder, frames: frames) }
        }
        if scheduleFollowUp { scheduleFlush() }
        if spare.capacity > 262_144 { spare = [] } else { spare.removeAll(keepingCapacity: true) }
        return true
    }

    /// Takes over a batch a sender could only partly write, as this queue's own batch in flight.
    private func adoptPartialBatch(_ remainder: [UInt8], frames: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !tornDown else { return }
        inflight = remainder
        inflightOffset = 0
        inflightFrames = frames
        inflightPlainBytes = remainder.count
        flush()
    }
}
