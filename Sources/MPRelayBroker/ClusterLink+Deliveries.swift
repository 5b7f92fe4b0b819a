import Dispatch
import Logging
import MPRelayCluster
import MPRelayConfig
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
        return since != 0 && Double(DispatchTime.now().uptimeNanoseconds - since) / 1e9 > config.natsTimeout
    }

    /// Adds the SEND `message` of connection `sender` (registered as `senderName`) for `peer`
    /// to `staging`, for ``publish(_:)`` at the end of the sender's read batch; returns why it
    /// cannot go (NATS unreachable past `nats_timeout`). If the peer's node is gone by the time
    /// it arrives, NATS says so and the sender gets ERROR `unknown peer`.
    func stage(
        _ message: MessageView,
        from senderName: UnsafeRawBufferPointer,
        connection sender: UInt64,
        to peer: RemotePeer,
        in staging: inout RemoteStaging
    ) -> ClusterError? {
        guard !isCutOff, let member = self.node else { return .unavailable(.disconnected, node: config.node) }
        let undelivered = UndeliveredSend(
            senderNode: config.node,
            receiverNode: peer.node,
            senderConnection: sender,
            correlationID: message.correlationID,
            receiver: peer.name
        )
        if staging.frames == nil { staging.frames = member.makeBatch() }
        staging.frames?.appendDelivery(message, from: senderName, senderNode: config.node, senderConnection: sender, to: peer.name, on: peer.node)
        staging.sends.append(undelivered)
        let confirm = message.options.contains(.confirm)
        staging.confirmations.append(confirm && confirms.track(undelivered, now: DispatchTime.now().uptimeNanoseconds))
        staging.payloadBytes += message.payload.count
        return nil
    }

    /// Publishes what `staging` holds in one write; returns why it could not be sent (the
    /// confirmations it tracked are forgotten then: the caller answers every staged SEND).
    func publish(_ staging: RemoteStaging) -> ClusterError? {
        guard let frames = staging.frames, !frames.isEmpty else { return nil }
        guard let member = node else { return .unavailable(.disconnected, node: config.node) }
        do {
            try member.publish(frames)
            return nil
        } catch {
            for (send, tracked) in zip(staging.sends, staging.confirmations) where tracked {
                confirms.settle(connection: send.senderConnection, correlationID: send.correlationID)
            }
            return error
        }
    }

    /// Writes to the receivers that got deliveries in the run of frames just handled, from the
    /// node's queue, as a local sender writes at the end of its read batch: one write per
    /// receiver per run, and one thread hop less per message than a flush on its own queue.
    func flushDeliveries() {
        let receivers = deliveryFlushes.withLock { receivers in defer { receivers.removeAll(keepingCapacity: true) }; return receivers }
        guard !receivers.isEmpty else { return }
        directWriteSpare.withLock { spare in
            for receiver in receivers where !receiver.writeDirectly(using: &spare) { receiver.scheduleFlush() }
        }
    }

    /// Answers the `confirm` SENDs that got no answer within `nats_timeout`: ERROR `cluster
    /// unavailable` (the message may have been lost with a NATS server, or is held for a NATS
    /// link that did not come back; it may also still arrive). Runs every `nats_timeout / 2`.
    func expireConfirms() {
        let deadline = DispatchTime.now().uptimeNanoseconds &- UInt64(config.natsTimeout * 1e9)
        for send in confirms.expire(sentBefore: deadline) {
            guard let sender = context.connection(id: Int(truncatingIfNeeded: send.senderConnection)) else { continue }
            sender.receiveOutcome(.error(ErrorReport(
                code: .clusterUnavailable,
                correlationID: send.correlationID,
                peer: send.receiver.bytes,
                text: "no answer from node \(send.receiverNode) within nats_timeout (\(config.natsTimeout) s): the message may have been lost with a NATS server"
            )))
        }
    }

    /// ERROR `unknown peer` for a SEND whose node stopped answering.
    func refuseUndelivered(_ send: UndeliveredSend) {
        guard let sender = context.connection(id: Int(truncatingIfNeeded: send.senderConnection)) else { return }
        let report = ErrorReport(
            code: .unknownPeer,
            correlationID: send.correlationID,
            peer: send.receiver.bytes,
            text: "no peer named \"\(send.receiver)\" is registered: its node \(send.receiverNode) no longer answers"
        )
        sender.receiveOutcome(.error(report))
    }

    /// Answers a delivery from another node with an ERROR for its sender.
    private func refuse(_ delivery: IncomingDelivery, _ code: RelayErrorCode, _ text: String) {
        let report = ErrorReport(code: code, correlationID: delivery.correlationID, peer: delivery.receiver.bytes, text: text)
        answer(delivery, .error(report))
    }

    private func answer(_ delivery: IncomingDelivery, _ envelope: Envelope) {
        let outcome = DeliveryOutcome(senderConnection: delivery.senderConnection, envelope: envelope)
        do {
            try node?.publish(.outcome(outcome), to: delivery.senderNode)
        } catch {
            logger.warning("could not answer node \(delivery.senderNode) about a delivery to \(delivery.receiver): \(error)")
        }
    }

    /// A frame from another node, on the node's queue.
    func receive(_ frame: ClusterFrame) {
        switch frame {
        case .delivery:
            // Deliveries come to deliver(_:), read in place.
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

    /// Queues a delivery from another node for its receiver here, within the receiver's
    /// bounds, written from the frame in place; answers the sender's node when the receiver is
    /// gone or busy, or asked for an ACK.
    func deliver(_ delivery: IncomingDelivery) {
        guard let receiver = context.registry.lookup(delivery.receiver) else {
            refuse(delivery, .unknownPeer, "no peer named \"\(delivery.receiver)\" is registered on node \(config.node)")
            return
        }
        announceSender(delivery.sender, on: delivery.senderNode)
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
            if delivery.confirm { answer(delivery, .ack(correlationID: delivery.correlationID)) }
        case .full:
            refuse(delivery, .peerBusy, "the receiver's outbound queue on node \(config.node) is full (max_outbound_bytes \(limits.maxOutboundBytes), max_outbound_messages \(limits.maxOutboundMessages)); message not delivered")
            receiver.refusedFrame(timeout: limits.slowConsumerTimeout)
        case .closed:
            refuse(delivery, .unknownPeer, "the peer disconnected from node \(config.node) before the message could be queued")
        }
    }
}
