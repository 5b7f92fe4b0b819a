import Dispatch
import MPRelayNATS
import MPRelayProtocol
import Synchronization

/// Frames to and from the other nodes: deliveries published in numbered frames and kept until
/// acknowledged, and what arrives on this node's subject and its unreachable replies.
extension ClusterNode {
    /// Publishes `frame` to `node`'s subject (deliveries go in a ``ClusterPublishBatch``, with
    /// the reply subject that reports them undeliverable).
    ///
    /// - Throws: ``ClusterError/unavailable(_:node:)`` when NATS is down and the buffer for
    ///   publications made meanwhile (`max_pending_bytes`) is full, or the connection is closed.
    public func publish(_ frame: ClusterFrame, to node: String) throws(ClusterError) {
        do {
            try connection.publish(subjects.node(node), payload: frame.encoded())
            ClusterMeters.count(meters.framesSent)
        } catch {
            ClusterMeters.count(meters.frameErrors)
            throw .unavailable(error, node: settings.node)
        }
    }

    /// An empty batch of frames for this node's cluster.
    public func makeBatch() -> ClusterPublishBatch {
        ClusterPublishBatch(subjects: subjects, senderNode: settings.node, epoch: incarnation, maxPayload: connection.serverInfo.maxPayload)
    }

    /// Numbers the deliveries of `batch` and publishes its frames, in order, one write each.
    /// Each delivery is kept until its node acknowledges it: one it reports lost comes back as
    /// ``ClusterNodeEvent/deliveriesLost(_:)``, one in a frame NATS could not deliver as
    /// ``ClusterNodeEvent/undeliverable(_:)``, one never acknowledged (without `confirm`) from
    /// ``expireDeliveries(sentBefore:)``.
    ///
    /// Returns nil when every frame went out (or is held for the next server); otherwise why
    /// not, and the indices in ``ClusterPublishBatch/sends`` of the deliveries that did not:
    /// ``ClusterError/unavailable(_:node:)`` when NATS is down and the buffer for publications
    /// made meanwhile (`max_pending_bytes`) is full, or the connection is closed;
    /// ``ClusterError/unacknowledged(limit:node:)`` when too many deliveries wait already.
    public func publish(_ batch: inout ClusterPublishBatch) -> (error: ClusterError, unsent: [Int])? {
        let now = DispatchTime.now().uptimeNanoseconds
        return links.outbound.withLock { ledger -> (error: ClusterError, unsent: [Int])? in
            guard ledger.record(&batch, now: now) else {
                ClusterMeters.add(UInt64(batch.frameCount), to: meters.frameErrors)
                return (.unacknowledged(limit: ledger.limit, node: settings.node), Array(batch.sends.indices))
            }
            for frame in 0..<batch.frameCount {
                do throws(NATSError) {
                    try connection.publish(batch.publication(ofFrame: frame))
                    ClusterMeters.count(meters.framesSent)
                } catch {
                    // The frames before went out: only the rest is taken back, and refused.
                    ledger.rollBack(batch, fromFrame: frame)
                    ClusterMeters.add(UInt64(batch.frameCount - frame), to: meters.frameErrors)
                    return (.unavailable(error, node: settings.node), batch.sends(fromFrame: frame))
                }
            }
            return nil
        }
    }

    /// Forgets and returns the deliveries published before `deadline` (uptime nanoseconds)
    /// that their nodes have not acknowledged: each sender gets an ERROR.
    public func expireDeliveries(sentBefore deadline: UInt64) -> [UndeliveredSend] {
        links.outbound.withLock { $0.expire(sentBefore: deadline) }
    }

    /// Gives every unacknowledged delivery a whole `nats_timeout` from now: called when NATS is
    /// back, as those held while it was unreachable have only just been sent.
    public func restartDeliveryClocks() {
        let now = DispatchTime.now().uptimeNanoseconds
        links.outbound.withLock { $0.restartClocks(now: now) }
    }

    /// Forgets and returns the unacknowledged deliveries to `node`, which died.
    public func abandonDeliveries(to node: String) -> [UndeliveredSend] {
        links.outbound.withLock { $0.abandon(node: node) }
    }

    /// A message on this node's subject, on the NATS reader thread: deliveries read in place and
    /// noted for their acknowledgement, acknowledgements applied to the ledger, anything else
    /// decoded for the handlers.
    func receive(_ message: NATSMessage) {
        if let deliver = handlers.deliveries, ClusterFrame.isDeliveries(message.payload) {
            switch Result(catching: { () throws(ClusterFrameError) in try IncomingDeliveries(decoding: message.payload) }) {
            case .success(let frame):
                ClusterMeters.count(meters.framesReceived)
                // Noted once handled: the acknowledgement then carries the frame's refusals.
                let refused = deliver(frame)
                links.arrived(from: frame.senderNode, epoch: frame.epoch, sequences: frame.firstSequence...frame.lastSequence, refused: refused)
            case .failure(let error):
                ClusterMeters.count(meters.frameErrors)
                handlers.event(.malformedFrame(error))
            }
            return
        }
        switch Result(catching: { () throws(ClusterFrameError) in try ClusterFrame(decoding: message.payload) }) {
        case .success(.acknowledgement(let acknowledgement)):
            let (lost, refused) = links.outbound.withLock { $0.acknowledge(acknowledgement) }
            if !lost.isEmpty { handlers.event(.deliveriesLost(lost)) }
            let byCode = Dictionary(grouping: refused, by: \.code)
            for code in byCode.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                handlers.event(.deliveriesRefused(byCode[code]!.map(\.send), code: code))
            }
        case .success(let frame):
            ClusterMeters.count(meters.framesReceived)
            if case .deliveries(let deliveries) = frame, let first = deliveries.first, let last = deliveries.last {
                links.arrived(from: first.senderNode, epoch: first.epoch, sequences: first.sequence...last.sequence)
            }
            handlers.frame(frame)
        case .failure(let error):
            ClusterMeters.count(meters.frameErrors)
            handlers.event(.malformedFrame(error))
        }
    }

    /// NATS's "no responders" for a frame this node published: its node is gone.
    func receiveUnreachable(_ message: NATSMessage) {
        guard message.headers?.status == 503, let run = subjects.undeliveredRun(message.subject) else { return }
        let sends = links.outbound.withLock { $0.settle(run) }
        if !sends.isEmpty { handlers.event(.undeliverable(sends)) }
    }
}
