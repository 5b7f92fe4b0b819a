import DequeModule
public import MPRelayProtocol

/// The deliveries this node published to other nodes and has not heard back about: the sending
/// half of the numbering ``LinkAcknowledgement`` describes.
///
/// ``record(_:now:)`` numbers a batch's deliveries per receiving node, in the order they are
/// written to NATS, and keeps each one (without its payload) until the receiving node
/// acknowledges it, reports it lost, NATS reports its frame undeliverable, or no answer comes in
/// time; each way out returns the SENDs whose senders must hear an ERROR, so that no delivery is
/// lost unsaid. An acknowledgement also carries the ERRORs of the deliveries the receiving node
/// could not queue (``RefusedDeliveries``). A `confirm` delivery is answered by its ACK: past
/// its acknowledgement, or in time or node loss, the ledger drops it without a word (the caller
/// tracks its ACK).
///
/// Pure: the caller serialises the calls, gives the time, and publishes.
public struct OutboundLedger: Sendable {
    /// A kept delivery: its sender's connection and SEND, without the node ids its link and
    /// this ledger already hold.
    private struct Entry: Sendable {
        var sequence: UInt64
        var senderConnection: UInt64
        var correlationID: UInt64
        var receiver: PeerName
        var confirm: Bool
        /// When it was published, in uptime nanoseconds.
        var sentAt: UInt64
    }

    private struct Link: Sendable {
        /// The number the next delivery to this node gets.
        var next: UInt64 = 1
        /// Kept deliveries, by ascending number.
        var kept: Deque<Entry> = []
    }

    /// This node, the sender of every delivery kept.
    public let node: String
    /// This run's incarnation: the numbers count within it.
    public let epoch: UInt64
    /// The most deliveries kept at once; a batch that would pass it is refused.
    public let limit: Int
    private var links: [String: Link] = [:]
    /// How many deliveries are kept, over every link.
    public private(set) var count = 0

    /// An empty ledger for node `node`'s run `epoch`, keeping at most `limit` deliveries.
    public init(node: String, epoch: UInt64, limit: Int = 262_144) {
        self.node = node
        self.epoch = epoch
        self.limit = limit
    }

    /// Numbers every delivery of `batch`, frame by frame, and keeps each, sent at `now`.
    /// Returns false, changing nothing, when that would keep more than ``limit``.
    public mutating func record(_ batch: inout ClusterPublishBatch, now: UInt64) -> Bool {
        guard count + batch.count <= limit else { return false }
        for (index, frame) in batch.frameSizes.enumerated() {
            // Taken out while it grows, so that its deque is not copied.
            var link = links.removeValue(forKey: frame.node) ?? Link()
            batch.number(frame: index, from: link.next)
            link.next += UInt64(frame.count)
            for send in batch.sends(ofFrame: index) {
                let send = batch.sends[send]
                link.kept.append(Entry(
                    sequence: send.sequence,
                    senderConnection: send.senderConnection,
                    correlationID: send.correlationID,
                    receiver: send.receiver,
                    confirm: send.confirm,
                    sentAt: now
                ))
            }
            links[frame.node] = link
        }
        count += batch.count
        return true
    }

    /// Takes back what ``record(_:now:)`` did for the frames of `batch` (the last batch
    /// recorded) from `first` on, which could not be published: their numbers are given out
    /// again.
    public mutating func rollBack(_ batch: ClusterPublishBatch, fromFrame first: Int = 0) {
        for frame in batch.frameSizes[first...].reversed() {
            links[frame.node]!.next -= UInt64(frame.count)
            links[frame.node]!.kept.removeLast(frame.count)
            count -= frame.count
        }
    }

    /// Forgets every kept delivery `acknowledgement` covers; returns those it reports lost, and
    /// those it reports refused with the ERROR code their senders get. An acknowledgement of
    /// another run's numbers changes nothing.
    public mutating func acknowledge(_ acknowledgement: LinkAcknowledgement) -> (lost: [UndeliveredSend], refused: [(send: UndeliveredSend, code: RelayErrorCode)]) {
        guard acknowledgement.epoch == epoch, var link = links[acknowledgement.receiverNode] else { return ([], []) }
        links[acknowledgement.receiverNode] = nil  // one copy of the deque, not two
        var lost: [UndeliveredSend] = []
        var refused: [(send: UndeliveredSend, code: RelayErrorCode)] = []
        var forgotten = 0
        // Both lists are ascending, as the kept deliveries are: one pass over each.
        var nextLost = acknowledgement.lost.startIndex
        var nextRefused = acknowledgement.refused.startIndex
        while let first = link.kept.first, first.sequence <= acknowledgement.through {
            link.kept.removeFirst()
            forgotten += 1
            while nextLost < acknowledgement.lost.endIndex, acknowledgement.lost[nextLost].upperBound < first.sequence { nextLost += 1 }
            while nextRefused < acknowledgement.refused.endIndex, acknowledgement.refused[nextRefused].sequences.upperBound < first.sequence { nextRefused += 1 }
            if nextLost < acknowledgement.lost.endIndex, acknowledgement.lost[nextLost].contains(first.sequence) {
                lost.append(send(first, to: acknowledgement.receiverNode))
            } else if nextRefused < acknowledgement.refused.endIndex, acknowledgement.refused[nextRefused].sequences.contains(first.sequence), !first.confirm {
                refused.append((send(first, to: acknowledgement.receiverNode), acknowledgement.refused[nextRefused].code))
            }
        }
        count -= forgotten
        links[acknowledgement.receiverNode] = link
        return (lost, refused)
    }

    /// Forgets and returns the deliveries `run` names, whose frame NATS reported as reaching
    /// nobody.
    public mutating func settle(_ run: UndeliveredRun) -> [UndeliveredSend] {
        guard let kept = links[run.receiverNode]?.kept else { return [] }
        var (low, high) = (kept.startIndex, kept.endIndex)
        while low < high {
            let middle = (low + high) / 2
            if kept[middle].sequence < run.sequences.lowerBound { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < kept.endIndex, kept[end].sequence <= run.sequences.upperBound { end += 1 }
        guard low < end else { return [] }
        let settled = kept[low..<end].map { send($0, to: run.receiverNode) }
        links[run.receiverNode]!.kept.removeSubrange(low..<end)
        count -= settled.count
        return settled
    }

    /// Forgets every delivery kept since before `deadline` (uptime nanoseconds): no
    /// acknowledgement came for it in time. Returns those without `confirm`.
    public mutating func expire(sentBefore deadline: UInt64) -> [UndeliveredSend] {
        var expired: [UndeliveredSend] = []
        for node in links.keys.sorted() {
            while let first = links[node]!.kept.first, first.sentAt < deadline {
                expired.append(send(links[node]!.kept.removeFirst(), to: node))
            }
        }
        count -= expired.count
        return expired.filter { !$0.confirm }
    }

    /// Counts every kept delivery as sent at `now`: after NATS was unreachable, the
    /// deliveries held meanwhile have only just gone out, and their nodes get a whole
    /// `nats_timeout` to acknowledge them.
    public mutating func restartClocks(now: UInt64) {
        for node in links.keys {
            for index in links[node]!.kept.indices { links[node]!.kept[index].sentAt = now }
        }
    }

    /// Forgets every delivery kept for `node`, which died, and returns those without
    /// `confirm`. Its numbering goes on: a node taken for dead that was only silent sees no
    /// number twice.
    public mutating func abandon(node: String) -> [UndeliveredSend] {
        guard let kept = links[node]?.kept, !kept.isEmpty else { return [] }
        links[node]!.kept.removeAll()
        count -= kept.count
        return kept.map { send($0, to: node) }.filter { !$0.confirm }
    }

    /// The SEND `entry` stands for, to `receiverNode`.
    private func send(_ entry: Entry, to receiverNode: String) -> UndeliveredSend {
        UndeliveredSend(
            senderNode: node,
            receiverNode: receiverNode,
            senderConnection: entry.senderConnection,
            correlationID: entry.correlationID,
            receiver: entry.receiver,
            sequence: entry.sequence,
            confirm: entry.confirm
        )
    }
}
