import Dispatch
import Synchronization

/// The numbered deliveries between this node and the others, both ways (``LinkAcknowledgement``):
/// the ledger of what this node sent and is not yet acknowledged, and the numbers it received,
/// acknowledged every ``acknowledgementDelay`` while deliveries arrive.
///
/// Owned by a ``ClusterNode``: acknowledgements are sent from the node's queue, through
/// `acknowledge`.
final class DeliveryLinks: Sendable {
    /// How long after a delivery arrives its acknowledgement goes out: long enough to cover
    /// many deliveries with one frame, short enough to keep the senders' ledgers small.
    static let acknowledgementDelay: UInt64 = 5_000_000

    /// What this node published and has not heard back about; locked around each publication,
    /// so that numbers follow the order NATS gets the deliveries in.
    let outbound: Mutex<OutboundLedger>
    private struct Inbound {
        var sequences: InboundSequences
        /// When the next acknowledgement turn is due (uptime nanoseconds), if one is scheduled.
        var turnAt: UInt64?
    }

    private let inbound: Mutex<Inbound>
    private let queue: DispatchQueue
    private let acknowledge: @Sendable (LinkAcknowledgement, _ sender: String) -> Void

    /// Links for the node `node` in its run `epoch`, on `queue`; acknowledgements repeated for
    /// `repeatWindow` nanoseconds after each change, and handed to `acknowledge` for the
    /// node that sent the deliveries.
    init(
        node: String,
        epoch: UInt64,
        repeatWindow: UInt64,
        queue: DispatchQueue,
        acknowledge: @escaping @Sendable (LinkAcknowledgement, _ sender: String) -> Void
    ) {
        outbound = Mutex(OutboundLedger(node: node, epoch: epoch))
        inbound = Mutex(Inbound(sequences: InboundSequences(node: node, repeatWindow: repeatWindow, repeatInterval: repeatWindow / 4)))
        self.queue = queue
        self.acknowledge = acknowledge
    }

    /// Notes the deliveries `sequences` of run `epoch` from `sender` (one frame's), once they
    /// are handled, with those of them `refused`; schedules their acknowledgement on the
    /// node's queue.
    func arrived(from sender: String, epoch: UInt64, sequences: ClosedRange<UInt64>, refused: [RefusedDeliveries] = []) {
        let now = DispatchTime.now().uptimeNanoseconds
        let turnAt = inbound.withLock { inbound -> UInt64? in
            let due: UInt64
            switch inbound.sequences.arrived(from: sender, epoch: epoch, sequences: sequences, refused: refused, now: now) {
            case .nothing: return nil
            case .acknowledgement: due = now + Self.acknowledgementDelay
            case .urgentAcknowledgement: due = now
            }
            guard inbound.turnAt.map({ $0 > due }) ?? true else { return nil }
            inbound.turnAt = due
            return due
        }
        if let turnAt { schedule(at: turnAt) }
    }

    private func schedule(at uptime: UInt64) {
        queue.asyncAfter(deadline: DispatchTime(uptimeNanoseconds: uptime)) { [self] in turn() }
    }

    /// Sends the acknowledgements due, and schedules the next repeat.
    private func turn() {
        let now = DispatchTime.now().uptimeNanoseconds
        let turn = inbound.withLock { inbound -> (due: [(node: String, acknowledgement: LinkAcknowledgement)], nextRepeat: UInt64?)? in
            guard let turnAt = inbound.turnAt, turnAt <= now else { return nil }
            let turn = inbound.sequences.acknowledgements(now: now)
            inbound.turnAt = turn.nextRepeat
            return turn
        }
        guard let turn else { return }
        for (sender, acknowledgement) in turn.due { acknowledge(acknowledgement, sender) }
        if let next = turn.nextRepeat { schedule(at: next) }
    }
}
