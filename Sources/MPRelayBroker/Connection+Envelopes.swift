import Dispatch
import Logging
import MPRelayCore
import MPRelayProtocol
import Synchronization

extension Connection {
    /// Handles one frame body in whatever phase the connection is in.
    func handleFrame(_ frame: UnsafeRawBufferPointer) -> FrameDecoder.Directive {
        if isRelaying && frame.first == EnvelopeKind.send.rawValue { return relay(frame) }
        switch phase {
        case .handshaking(let handshake):
            return handleHandshakeFrame(frame, handshake)
        case .registered:
            return handleControl(frame)
        case .awaitingHello:
            return handleControl(frame)
        case .closing:
            return .stop
        }
    }

    /// Decodes and handles anything but the relay fast path. Before HELLO only the kind byte of
    /// anything but a HELLO is looked at: a known kind is out of order, whatever follows it.
    private func handleControl(_ frame: UnsafeRawBufferPointer) -> FrameDecoder.Directive {
        if case .awaitingHello = phase, let first = frame.first, let kind = EnvelopeKind(rawValue: first), kind != .hello {
            fail(.unexpectedEnvelope, text: "\(kind) before HELLO: the first envelope must be HELLO")
            return .stop
        }
        let envelope: Envelope
        do {
            envelope = try Envelope(decoding: frame)
        } catch {
            if case .invalidName(.hello, _) = error {
                fail(.invalidName, peer: Self.helloName(frame), text: error.description)
            } else {
                fail(.malformedFrame, text: error.description)
            }
            return .stop
        }
        guard case .registered = phase else {
            guard case .hello(let version, let name) = envelope else { return .stop }
            return hello(version: version, name: name)
        }
        switch envelope {
        case .send:
            return relay(frame)
        case .ping(let id):
            sendToSelf(Envelope.pong(correlationID: id).encodedFrame())
        case .pong:
            break
        case .list(let id):
            guard mayList("list peers", id: id) else { break }
            sendToSelf(Envelope.peerList(correlationID: id, names: cluster?.names() ?? context.registry.names()).encodedFrame())
        case .watch(let id, let enabled):
            guard !enabled || mayList("watch presence", id: id) else { break }
            // The ACK of a start goes ahead of every event it brings, the ACK of a stop after
            // every event queued before it: another thread may queue an event at any moment.
            if enabled { sendToSelf(Envelope.ack(correlationID: id).encodedFrame()) }
            context.registry.setWatching(self, enabled)
            if !enabled { sendToSelf(Envelope.ack(correlationID: id).encodedFrame()) }
        case .goodbye(let reason, let text):
            closeAfterFlush(reason: "said goodbye (\(reason)\(text.isEmpty ? "" : ": \(text)"))")
            return .stop
        case .hello:
            fail(.unexpectedEnvelope, text: "HELLO sent twice")
            return .stop
        case .welcome, .deliver, .error, .ack, .peerList, .peerJoined, .peerLeft:
            fail(.unexpectedEnvelope, text: "\(envelope.kind) is sent by the broker, never by a client")
            return .stop
        }
        return .proceed
    }

    /// The raw name bytes of a HELLO whose name did not validate, for the ERROR's peer field.
    private static func helloName(_ frame: UnsafeRawBufferPointer) -> [UInt8] {
        guard frame.count > 3 else { return [] }
        return Array(frame[3..<min(frame.count, 3 + Int(frame[2]))])
    }

    /// Registers the name (in a cluster, claims it cluster-wide first), or refuses and closes.
    private func hello(version: UInt8, name: PeerName) -> FrameDecoder.Directive {
        nameBytes = name.bytes
        guard case .awaitingHello(let outcome) = phase, let principal else { return .stop }
        var claimedRemotely = false
        if cluster != nil {
            switch claimClusterWide(version: version, name: name, principal: principal) {
            case .proceed(let replacedRemote): claimedRemotely = replacedRemote
            case .refused(let refusal): return refuse(refusal, name: name)
            }
        }
        let previous: Connection?
        var presence: [PresenceNotice<Connection>]
        switch context.registrar.hello(version: version, name: name, peer: self, principal: principal) {
        case .refused(let refusal):
            cluster?.release(name, by: id)
            return refuse(refusal, name: name)
        case .registered(let replaced, let notices):
            (previous, presence) = (replaced, notices)
        }
        if previous != nil { cluster?.handOver(name, to: id) }
        if claimedRemotely { presence.insert(.left(name, to: context.registry.watchers().filter { $0 !== self }), at: 0) }
        holdsPrincipalName = true
        senderName.set(name)
        previous?.queue.async { [remote] in
            previous?.fail(.replaced, peer: name.bytes, text: "the name \"\(name)\" was taken over by principal \(principal.name) from \(remote)")
        }
        phase = .registered(name, outcome)
        isRelaying = true
        meters.identity = ConnectionMeters.Identity(
            name: name,
            principal: principal.name,
            digest: outcome.digestDescription,
            registeredAt: WallClock.now,
            tls: tlsPeer
        )
        logger[metadataKey: "peer"] = "\(name)"
        logger.info("registered as \(name) from \(remote)")
        sendToSelf(Envelope.welcome(version: Envelope.protocolVersion, maxMessageBytes: UInt64(limits.maxMessageBytes)).encodedFrame())
        for notice in presence { announce(notice) }
        armIdleCheck()
        return .proceed
    }

    /// Answers a refused HELLO and closes.
    private func refuse(_ refusal: RegistrationRefusal, name: PeerName) -> FrameDecoder.Directive {
        if case .forbidden(let rule) = refusal {
            deny("register \"\(name)\"", rule: rule, peer: name.bytes)
            closeAfterFlush(reason: "not permitted to register \(name)")
        } else {
            fail(refusal.code, peer: name.bytes, text: refusal.text(for: name))
        }
        return .stop
    }

    /// The relay path: one SEND becomes one DELIVER in the receiver's write batch.
    private func relay(_ frame: UnsafeRawBufferPointer) -> FrameDecoder.Directive {
        let message: MessageView
        do {
            message = try MessageView(frame)
        } catch .invalidName(.send, .empty) {
            // No peer can hold an empty name, as none can hold any other invalid one (§3.3).
            let id = frame.readBigEndian(at: 3, as: UInt64.self)
            report(.unknownPeer, id: id, peer: UnsafeRawBufferPointer(start: nil, count: 0), text: "a SEND needs a destination name: a zero-length name is registered by nobody")
            return .proceed
        } catch {
            fail(.malformedFrame, text: error.description)
            return .stop
        }
        let id = message.correlationID
        let receiver: Connection
        switch router.decide(destination: message.peer, payloadLength: message.payload.count, limits: limits) {
        case .route(.local(let found)):
            receiver = found
        case .route(.remote(let peer)):
            sendRemotely(message, to: peer)
            return .proceed
        case .tooLarge:
            report(.messageTooLarge, id: id, peer: message.peer, text: "payload of \(message.payload.count) bytes is over max_message_bytes (\(limits.maxMessageBytes))")
            return .proceed
        case .route(.unknownPeer):
            report(.unknownPeer, id: id, peer: message.peer, text: "no peer named \"\(String(decoding: message.peer, as: UTF8.self))\" is registered")
            return .proceed
        case .route(.forbidden):
            deny("send to \"\(String(decoding: message.peer, as: UTF8.self))\"", rule: router.access?.sendRule ?? "no principal", id: id, peer: Array(message.peer))
            return .proceed
        }
        let frameLength = MessageView.frameLength(peerLength: senderName.bytes.count, payloadLength: message.payload.count)
        let queued = frameLength >= DeliveryStaging<Connection>.largeFrameLength
            ? queueDirectly(message, frameLength: frameLength, to: receiver)
            : stage(message, frameLength: frameLength, for: receiver)
        if queued && traceEnabled {
            logger.trace("relayed \(message.payload.count) bytes to \(String(decoding: message.peer, as: UTF8.self))")
        }
        return .proceed
    }

    /// Writes the DELIVER into the staging batch for `receiver`, reserving room in its queue
    /// first when the batch is for another receiver or full. Returns whether it was staged.
    private func stage(_ message: MessageView, frameLength: Int, for receiver: Connection) -> Bool {
        if staging.receiver !== receiver || !staging.fits(frameLength) {
            commitStaging()
            let wanted = DeliveryStaging<Connection>.reservation(for: frameLength, bound: limits.maxOutboundBytes)
            let reservation = receiver.outbound.withLock {
                $0.reserve(
                    bytes: wanted,
                    minimum: frameLength,
                    frames: DeliveryStaging<Connection>.framesPerReservation,
                    bound: limits.maxOutboundBytes,
                    maxFrames: limits.maxOutboundMessages,
                    now: Self.uptime
                )
            }
            switch reservation {
            case .granted(let bytes, let frames):
                staging.receiver = receiver
                staging.destination.removeAll(keepingCapacity: true)
                staging.destination.append(contentsOf: message.peer)
                staging.reservedBytes = bytes
                staging.reservedFrames = frames
            case .full:
                refuseBusy(message, receiver)
                return false
            case .closed:
                refuseGone(message)
                return false
            }
        }
        appendDeliver(message, to: &staging.frames)
        staging.ids.append(message.correlationID)
        staging.payloadBytes += message.payload.count
        if message.options.contains(.confirm) { staging.confirmations.append(message.correlationID) }
        return true
    }

    /// Writes the DELIVER straight into the receiver's queue under its lock: staging a large
    /// frame would copy its payload twice, and for a large frame the copy costs more than the
    /// lock. What is staged goes first, so the sender's order holds. Returns whether it was queued.
    private func queueDirectly(_ message: MessageView, frameLength: Int, to receiver: Connection) -> Bool {
        commitStaging()
        let outcome = receiver.enqueue(frameLength: frameLength, bound: limits.maxOutboundBytes, maxFrames: limits.maxOutboundMessages) {
            appendDeliver(message, to: &$0)
        }
        switch outcome {
        case .queued, .queuedNeedsFlush:
            if outcome == .queuedNeedsFlush { pendingFlushes.append(receiver) }
            batch.messages += 1
            batch.bytes += message.payload.count
            if message.options.contains(.confirm) { sendToSelf(Envelope.ack(correlationID: message.correlationID).encodedFrame()) }
            return true
        case .full:
            refuseBusy(message, receiver)
        case .closed:
            refuseGone(message)
        }
        return false
    }

    /// The DELIVER for `message`, stamped with this connection's registered name.
    private func appendDeliver(_ message: MessageView, to buffer: inout [UInt8]) {
        MessageView.appendFrame(
            kind: .deliver,
            options: message.options.intersection(.forwarded),
            flags: message.flags,
            correlationID: message.correlationID,
            peer: senderName.bytes,
            payload: message.payload,
            to: &buffer
        )
    }

    /// The receiver's queue is at its bound: ERROR `peer busy`, and the receiver is told it was
    /// refused something (a slow consumer is dropped after `slow_consumer_timeout`).
    private func refuseBusy(_ message: MessageView, _ receiver: Connection) {
        report(.peerBusy, id: message.correlationID, peer: message.peer, text: "the receiver's outbound queue is full (max_outbound_bytes \(limits.maxOutboundBytes), max_outbound_messages \(limits.maxOutboundMessages)); message not delivered")
        receiver.refusedFrame(timeout: limits.slowConsumerTimeout)
    }

    /// The receiver closed after the route was found: ERROR `unknown peer`.
    private func refuseGone(_ message: MessageView) {
        router.forget()
        report(.unknownPeer, id: message.correlationID, peer: message.peer, text: "the peer disconnected before the message could be queued")
    }

    /// Queues a presence event, from any queue. Like a delivery it respects the outbound bound:
    /// a watcher too far behind to take it misses the event rather than growing without limit.
    func enqueueNotice(_ frame: [UInt8]) {
        let outcome = enqueue(frameLength: frame.count, bound: context.limits.maxOutboundBytes) { $0.append(contentsOf: frame) }
        if outcome == .queuedNeedsFlush { scheduleFlush() }
    }

    /// Queues a presence event for each of its watchers.
    func announce(_ notice: PresenceNotice<Connection>) {
        for watcher in notice.watchers { watcher.enqueueNotice(notice.frame) }
    }

    /// Sends an ERROR that does not end the connection, and counts it.
    func report(_ code: RelayErrorCode, id: UInt64, peer: UnsafeRawBufferPointer, text: String) {
        context.statistics.recordError(code)
        logger.debug("error \(code.rawValue) (\(code)) for correlation id \(id): \(text)")
        sendToSelf(Envelope.error(ErrorReport(code: code, correlationID: id, peer: Array(peer), text: text)).encodedFrame())
    }

    /// Sends an ERROR, logs it, and closes once it is written.
    func fail(_ code: RelayErrorCode, peer: [UInt8] = [], text: String) {
        context.statistics.recordError(code)
        logger.warning("closing connection from \(remote)\(peerSuffix): \(code): \(text)")
        sendToSelf(Envelope.error(ErrorReport(code: code, peer: peer, text: text)).encodedFrame())
        closeAfterFlush(reason: "\(code)")
    }

    /// Hands the staged DELIVERs to their receiver in one step, then ACKs the ones that asked.
    /// If the receiver closed meanwhile, each staged message gets ERROR `unknown peer`: nothing is
    /// lost without the sender being told.
    func commitStaging() {
        guard let receiver = staging.receiver else { return }
        let outcome = receiver.outbound.withLock {
            $0.commit(staging.frames, count: staging.ids.count, reservedBytes: staging.reservedBytes, reservedFrames: staging.reservedFrames)
        }
        switch outcome {
        case .queued, .queuedNeedsFlush:
            if outcome == .queuedNeedsFlush { pendingFlushes.append(receiver) }
            batch.messages += staging.ids.count
            batch.bytes += staging.payloadBytes
            for id in staging.confirmations { sendToSelf(Envelope.ack(correlationID: id).encodedFrame()) }
        case .closed, .full:
            router.forget()
            let destination = staging.destination
            for id in staging.ids {
                destination.withUnsafeBytes {
                    report(.unknownPeer, id: id, peer: $0, text: "the peer disconnected before the message could be queued")
                }
            }
        }
        staging.reset()
    }
}
