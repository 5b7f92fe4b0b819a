import Dispatch
import Logging
import MPRelayCluster
import MPRelayCore
import MPRelayNATS
import MPRelayProtocol
import Synchronization

/// Messages between this node's peers and the other nodes' peers.
extension ClusterLink {
    /// Whether NATS has been unreachable for longer than `nats_timeout`: cross-node SENDs are
    /// refused then, rather than held for a link that may not come back soon.
    var isCutOff: Bool {
        let since = cutOffSince.load(ordering: .relaxed)
        return since != 0 && Double(DispatchTime.now().uptimeNanoseconds - since) / 1e9 > settings.natsTimeout
    }

    /// Adds the SEND `message` of connection `sender` (registered as `senderName`) for `peer`
    /// to `staging`, for ``publish(_:)`` at the end of the sender's read batch; returns why it
    /// cannot go (NATS unreachable past `nats_timeout`). If the peer's node is gone by the time
    /// it arrives, NATS says so and the sender gets ERROR `unknown peer`; if it is lost on the
    /// way, or never acknowledged, ERROR `cluster unavailable`. Returns the ERROR to answer
    /// with when it cannot go: NATS unreachable past `nats_timeout`, or a message larger than
    /// one NATS message may be.
    func stage(
        _ message: MessageView,
        from senderName: UnsafeRawBufferPointer,
        connection sender: UInt64,
        to peer: RemotePeer,
        in staging: inout RemoteStaging
    ) -> (code: RelayErrorCode, reason: String)? {
        guard !isCutOff, let member = self.node else { return (.clusterUnavailable, "\(ClusterError.unavailable(.disconnected, node: settings.node))") }
        if staging.frames == nil { staging.frames = member.makeBatch() }
        guard staging.frames!.fits(message, from: senderName, to: peer.name) else {
            return (.messageTooLarge, "it is larger than the NATS servers' max_payload (\(staging.frames!.maxPayload) bytes) lets a message between nodes be")
        }
        staging.frames!.appendDelivery(message, from: senderName, senderConnection: sender, to: peer.name, on: peer.node)
        let tracked = message.options.contains(.confirm) && confirms.track(staging.frames!.sends.last!, now: DispatchTime.now().uptimeNanoseconds)
        staging.confirmations.append(tracked)
        staging.payloadBytes += message.payload.count
        return nil
    }

    /// Publishes what `staging` holds, a frame per write; returns why some could not be sent,
    /// and the indices in ``RemoteStaging/sends`` of those (the confirmations they tracked are
    /// forgotten then: the caller answers each with an ERROR).
    func publish(_ staging: inout RemoteStaging) -> (error: ClusterError, unsent: [Int])? {
        guard staging.frames?.isEmpty == false else { return nil }
        guard let member = node else {
            return (.unavailable(.disconnected, node: settings.node), Array(staging.sends.indices))
        }
        guard let failure = member.publish(&staging.frames!) else { return nil }
        let sends = staging.sends
        for index in failure.unsent where staging.confirmations[index] {
            confirms.settle(connection: sends[index].senderConnection, correlationID: sends[index].correlationID)
        }
        return failure
    }

    /// Writes to the receivers that got deliveries in the run of frames just handled, from the
    /// NATS reader thread, as a local sender writes at the end of its read batch: one write per
    /// receiver per run, and one thread hop less per message than a flush on its own queue.
    func flushDeliveries() {
        let receivers = deliveryFlushes.withLock { receivers in defer { receivers.removeAll(keepingCapacity: true) }; return receivers }
        guard !receivers.isEmpty else { return }
        directWriteSpare.withLock { spare in
            for receiver in receivers where !receiver.writeDirectly(using: &spare) { receiver.scheduleFlush() }
        }
    }

    /// Answers the SENDs whose receiving node did not answer within `nats_timeout` (an ACK for
    /// `confirm`, an acknowledgement of its number otherwise): ERROR `cluster unavailable` (the
    /// message may have been lost with a NATS server, or is held for a NATS link that did not
    /// come back; it may also still arrive). Runs every `nats_timeout / 2`.
    func expireUnanswered() {
        let deadline = DispatchTime.now().uptimeNanoseconds &- UInt64(settings.natsTimeout * 1e9)
        // While NATS is unreachable the deliveries are held, not lost: their clocks restart when
        // they go out (``ClusterNode/restartDeliveryClocks()``).
        let held = cutOffSince.load(ordering: .relaxed) != 0
        let unanswered = confirms.expire(sentBefore: deadline) + (held ? [] : node?.expireDeliveries(sentBefore: deadline) ?? [])
        for send in unanswered {
            refuse(send, .clusterUnavailable, "no answer from node \(send.receiverNode) within nats_timeout (\(settings.natsTimeout) s): the message may have been lost with a NATS server")
        }
    }

    /// ERROR `cluster unavailable` for SENDs their receiving node reported lost on the way.
    func refuseLost(_ sends: [UndeliveredSend]) {
        for send in sends {
            if send.confirm { confirms.settle(connection: send.senderConnection, correlationID: send.correlationID) }
            refuse(send, .clusterUnavailable, "the message for \"\(send.receiver)\" was lost on the way to node \(send.receiverNode) (a NATS server failed with it); not delivered")
        }
    }

    /// Answers a SEND its receiving node could not queue with the ERROR its acknowledgement gave.
    func answerRefused(_ send: UndeliveredSend, _ code: RelayErrorCode) {
        let text: String
        switch code {
        case .peerBusy:
            text = "the receiver's outbound queue on node \(send.receiverNode) was full (its max_outbound_bytes or max_outbound_messages); message not delivered"
        case .unknownPeer:
            text = "no peer named \"\(send.receiver)\" was registered on node \(send.receiverNode) when the message arrived"
        default:
            text = "node \(send.receiverNode) could not deliver the message to \"\(send.receiver)\" (\(code))"
        }
        refuse(send, code, text)
    }

    /// ERROR `unknown peer` for a SEND whose node stopped answering.
    func refuseUndelivered(_ send: UndeliveredSend) {
        if send.confirm { confirms.settle(connection: send.senderConnection, correlationID: send.correlationID) }
        refuse(send, .unknownPeer, "no peer named \"\(send.receiver)\" is registered: its node \(send.receiverNode) no longer answers")
    }

    /// Answers this node's SEND `send` with an ERROR.
    private func refuse(_ send: UndeliveredSend, _ code: RelayErrorCode, _ text: String) {
        guard let sender = context.connection(id: Int(truncatingIfNeeded: send.senderConnection)) else { return }
        sender.receiveOutcome(.error(ErrorReport(code: code, correlationID: send.correlationID, peer: send.receiver.bytes, text: text)))
    }

    /// Refuses a delivery from `node` with ERROR `code`: in an outcome frame saying `text` for a
    /// `confirm` one (returns nil), in the acknowledgement otherwise (returns `code`; the text,
    /// which the sender's node words itself, is then never built).
    private func refuse(_ delivery: IncomingDelivery, from node: String, _ code: RelayErrorCode, _ text: @autoclosure () -> String) -> RelayErrorCode? {
        guard delivery.confirm else { return code }
        let report = ErrorReport(code: code, correlationID: delivery.correlationID, peer: delivery.receiver.bytes, text: text())
        answer(delivery, from: node, .error(report))
        return nil
    }

    private func answer(_ delivery: IncomingDelivery, from node: String, _ envelope: Envelope) {
        let outcome = DeliveryOutcome(senderConnection: delivery.senderConnection, envelope: envelope)
        do {
            try self.node?.publish(.outcome(outcome), to: node)
        } catch {
            logger.warning("could not answer node \(node) about a delivery to \(delivery.receiver): \(error)")
        }
    }

    /// A frame from another node, on the NATS reader thread.
    func receive(_ frame: ClusterFrame) {
        switch frame {
        case .deliveries, .acknowledgement:
            // Deliveries come to deliver(_:), read in place; the node reads acknowledgements.
            break
        case .outcome(let outcome):
            if case .ack(let id) = outcome.envelope {
                confirms.settle(connection: outcome.senderConnection, correlationID: id)
            } else if case .error(let report) = outcome.envelope {
                confirms.settle(connection: outcome.senderConnection, correlationID: report.correlationID)
            }
            guard let sender = context.connection(id: Int(truncatingIfNeeded: outcome.senderConnection)) else { return }
            sender.receiveOutcome(outcome.envelope)
        }
    }

    /// Queues the deliveries of a frame from another node for their receivers here, within
    /// each receiver's bounds, written from the frame in place. Returns those without `confirm`
    /// it could not queue (a receiver gone or busy), which the acknowledgement of their numbers
    /// answers; a `confirm` SEND gets its ACK or ERROR in an outcome frame.
    func deliver(_ frame: IncomingDeliveries) -> [RefusedDeliveries] {
        var refused: [RefusedDeliveries] = []
        var announced: PeerName?
        for delivery in frame.deliveries {
            guard let code = deliver(delivery, from: frame.senderNode, announced: &announced) else { continue }
            refused.append(delivery.sequence, refusedWith: code)
        }
        return refused
    }

    /// Queues `delivery`; returns the ERROR code of a refusal its node's acknowledgement is to
    /// carry, or nil (queued, or answered in an outcome frame). `announced` is the sender of the
    /// frame's previous delivery, whose JOINED is settled: a run of one sender's deliveries
    /// checks it once.
    private func deliver(_ delivery: IncomingDelivery, from node: String, announced: inout PeerName?) -> RelayErrorCode? {
        guard let receiver = context.registry.lookup(delivery.receiver) else {
            return refuse(delivery, from: node, .unknownPeer, "no peer named \"\(delivery.receiver)\" is registered on node \(settings.node)")
        }
        if announced != delivery.sender {
            announceSender(delivery.sender, on: node)
            announced = delivery.sender
        }
        let limits = context.limits
        let outcome = delivery.withMessage { message in
            receiver.enqueue(
                frameLength: MessageView.frameLength(peerLength: message.peer.count, payloadLength: message.payload.count),
                bound: limits.maxOutboundBytes,
                maxFrames: limits.maxOutboundMessages
            ) { buffer in
                MessageView.appendFrame(
                    kind: .deliver,
                    options: message.options,
                    flags: message.flags,
                    correlationID: message.correlationID,
                    peer: message.peer,
                    payload: message.payload,
                    to: &buffer
                )
            }
        }
        switch outcome {
        case .queued, .queuedNeedsFlush:
            if outcome == .queuedNeedsFlush { deliveryFlushes.withLock { $0.append(receiver) } }
            if delivery.confirm { answer(delivery, from: node, .ack(correlationID: delivery.correlationID)) }
            return nil
        case .full:
            receiver.refusedFrame(timeout: limits.slowConsumerTimeout)
            return refuse(delivery, from: node, .peerBusy, "the receiver's outbound queue on node \(settings.node) is full (max_outbound_bytes \(limits.maxOutboundBytes), max_outbound_messages \(limits.maxOutboundMessages)); message not delivered")
        case .closed:
            return refuse(delivery, from: node, .unknownPeer, "the peer disconnected from node \(settings.node) before the message could be queued")
        }
    }
}
