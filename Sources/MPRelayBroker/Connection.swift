import Crypto
import Dispatch
import Glibc
import Logging
import MPRelayCommon
import MPRelayCore
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
    let queue: SerialQueue
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
    /// The cluster this relay is a node of, or nil.
    let cluster: ClusterLink?
    let outbound = Mutex(Outbound())
    let meters = ConnectionMeters()
    /// Whether the endpoint wraps this connection in TLS.
    let isTLS: Bool
    /// The TLS session, behind its own lock: senders encrypt for this connection when they write
    /// to it directly. Nil for plain connections.
    let tls: SharedTLSSession?
    var logger: Logger

    // Confined to `queue`. The properties the relay path touches for every message skip Swift's
    // dynamic exclusivity checks: a class's stored properties are checked at run time on every
    // access, which was 7.6% of the daemon's samples at 64 B. They are only ever accessed from
    // this connection's queue, one access at a time.
    var phase: Phase
    @exclusivity(unchecked) var decoder = FrameDecoder(maxBodyLength: HandshakeMessage.maxFrameLength)
    @exclusivity(unchecked) var limits: RelayLimits
    /// The name of a HELLO, for logs and errors.
    @exclusivity(unchecked) var nameBytes: [UInt8] = []
    /// Once registered, the name stamped on every DELIVER.
    let senderName = SenderName()
    /// Registered and not closing: SENDs take the relay path without looking at ``phase``.
    @exclusivity(unchecked) var isRelaying = false
    /// Whether per-message SUBDEBUG lines are wanted, read once per read batch.
    @exclusivity(unchecked) var traceEnabled = false
    var pendingFlushes: [Connection] = []
    /// Where this peer's SENDs go: its access rules and its cached routes.
    @exclusivity(unchecked) var router: SendRouter<Connection>
    /// DELIVERs written for one receiver under a reservation, not yet handed over.
    @exclusivity(unchecked) var staging = DeliveryStaging<Connection>()
    /// DELIVERs for peers on other cluster nodes, published at the end of the read batch.
    var remoteStaging = RemoteStaging()
    /// The buffer this connection lends when it writes a receiver's frames directly.
    var directWriteSpare: [UInt8] = []
    /// The principal the handshake bound this connection to, and what of its quota it holds.
    var principal: PrincipalRules?
    var holdsPrincipalConnection = false
    /// Whether this connection still counts against `max_handshakes` (taken at accept).
    var holdsHandshakeSlot = true
    var holdsPrincipalName = false
    /// Refusals are logged at most once a second per connection; this counts the ones in between.
    var denialLog = DenialLogThrottle()
    var batch = PeerCounters()
    var inflightFrames = 0
    var lastHeard = DispatchTime.now()
    /// An answer took this connection's own queue to the outbound bound: the decoder pauses after
    /// the frame being handled.
    @exclusivity(unchecked) var answersAtBound = false
    var pingOutstanding = false
    /// The socket's registration with the ``ReadinessPoller``, from start to teardown.
    var registration: ReadinessPoller.Registration?
    /// Whether this connection takes envelopes from its peer (not once closing or shutting down).
    var isReading = false
    /// A write would have blocked: the next writable event flushes.
    var awaitingRoom = false
    /// A write found the peer gone: nothing more is written, what it sent is read, then the close.
    var peerGone = false
    /// The connection's registration with the ``DeadlineScheduler``, from start to teardown.
    private var deadlines: DeadlineScheduler.Registration?
    /// The handshake deadline, then the idle check, then the drain limit; see ``armTimer(after:)``.
    private var deadline = DispatchTime.distantFuture
    /// Bytes being written: the frames of one batch, or for TLS their records (and handshake
    /// records), of which `inflightOffset` are written.
    var inflight: [UInt8] = []
    var inflightOffset = 0
    /// The queued bytes `inflight` stands for: its length, but for TLS the plaintext's.
    var inflightPlainBytes = 0
    /// What the TLS handshake agreed on, once it is complete.
    var tlsPeer: TLSPeerInfo?
    /// A read turn during the TLS handshake was handed on to a queued turn.
    private var tlsTurnDeferred = false
    var tornDown = false
    /// Why the connection is closing, for the line its teardown logs.
    var closeReason: String?

    init(fd: Int32, remote: String, origin: String, listener: Endpoint, context: RelayContext) {
        let endpoint = listener.description
        self.listener = listener
        self.id = context.makeConnectionID()
        self.queue = SerialQueue(label: "Connection-\(id)")
        self.fd = fd
        self.remote = remote
        self.origin = origin
        self.endpoint = endpoint
        self.isTLS = endpoint.tls != nil
        self.tls = endpoint.tls.map { SharedTLSSession(context: $0) }
        self.context = context
        self.cluster = context.cluster
        self.limits = context.limits
        self.router = SendRouter(registry: context.registry, remote: context.cluster)
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
        return readAvailable(readiness)
    }

    /// Asks the poller for writable events while a write is pending, and stops them once it is
    /// done; a registration the kernel refuses to change closes this connection alone.
    func expectRoom(_ wanted: Bool) {
        guard let registration else { return }
        do {
            try ReadinessPoller.shared.expectRoom(registration, wanted)
        } catch {
            teardown(reason: "\(error)", level: .error)
        }
    }

    // MARK: Reading

    /// Reads for one turn: until the socket is empty, or ``readsPerTurn`` reads so that other
    /// connections get their turn. A read short of the buffer emptied the socket (what comes after
    /// it is a new edge), unless the event also reported the peer's close: then the turn reads on
    /// to the end of file. Returns whether the socket is empty (or reading stopped); the
    /// ``ReadinessPoller`` queues the next turn otherwise.
    func readAvailable(_ readiness: ReadinessPoller.Readiness) -> Bool {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        guard isReading else { return true }
        limits = context.limits
        traceEnabled = logger.logLevel <= .trace
        let drained = ReadScratch.withBuffer { scratch in
            let shortReadDrains = !readiness.contains(.closing)
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
                    if shortReadDrains, count < scratch.count, !decoder.holdsWholeFrame { return true }
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
        publishRemoteStaging()
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

    // MARK: Closing

    /// Stops reading, lets queued frames flush (for at most `drain` seconds), then closes.
    func closeAfterFlush(reason: String, drain: Double = 2) {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
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
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        guard !tornDown else { return }
        tornDown = true
        releaseHandshakeSlot()
        leaveRegistry()
        releasePrincipalQuota()
        phase = .closing
        isRelaying = false
        outbound.withLock { $0.close() }
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
        router.forget()
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
        publishRemoteStaging()
        announce(context.registrar.leave(name, self))
        cluster?.release(name, by: id)
    }

    /// The monotonic clock the outbound queue's slow-consumer times are read from, in nanoseconds.
    static func uptime() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// ` (peer NAME)` once registered (and after), ` (HELLO for NAME)` for a refused HELLO, for
    /// log lines.
    var peerSuffix: String {
        if let identity = meters.identity { return " (peer \(identity.name))" }
        return nameBytes.isEmpty ? "" : " (HELLO for \(String(decoding: nameBytes, as: UTF8.self)))"
    }
}
