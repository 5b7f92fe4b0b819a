import DequeModule

/// The deliveries this node published to other nodes and has not heard back about: the sending
/// half of the numbering ``LinkAcknowledgement`` describes.
///
/// ``record(_:now:)`` numbers a batch's deliveries per receiving node, in the order they are
/// written to NATS, and keeps each one (without its payload) until the receiving node
/// acknowledges it, reports it lost, NATS reports its frame undeliverable, or no answer comes in
/// time; each way out returns the SENDs whose senders must hear an ERROR, so that no delivery is
/// lost unsaid. A `confirm` delivery is answered by its ACK: past its acknowledgement, or in time
/// or node loss, the ledger drops it without a word (the caller tracks its ACK).
///
/// Pure: the caller serialises the calls, gives the time, and publishes.
public struct OutboundLedger: Sendable {
    private struct Entry: Sendable {
        var send: UndeliveredSend
        /// When it was published, in uptime nanoseconds.
        var sentAt: UInt64
    }

    private struct Link: Sendable {
        /// The number the next delivery to this node gets.
        var next: UInt64 = 1
        /// Kept deliveries, by ascending number.
        var kept: Deque<Entry> = []
    }

    /// This run's incarnation: the numbers count within it.
    public let epoch: UInt64
    /// The most deliveries kept at once; a batch that would pass it is refused.
    public let limit: Int
    private var links: [String: Link] = [:]
    /// How many deliveries are kept, over every link.
    public private(set) var count = 0

    /// An empty ledger for the run `epoch`, keeping at most `limit` deliveries.
    public init(epoch: UInt64, limit: Int = 262_144) {
        self.epoch = epoch
        self.limit = limit
    }

    /// Numbers every delivery of `batch`, frame by frame, and keeps each, sent at `now`.
    /// Returns false, changing nothing, when that would keep more than ``limit``.
    public mutating func record(_ batch: inout ClusterPublishBatch, now: UInt64) -> Bool {
        guard count + batch.count <= limit else { return false }
        for (index, frame) in batch.frameSizes.enumerated() {
            links[frame.node, default: Link()].next += UInt64(frame.count)
            batch.number(frame: index, from: links[frame.node]!.next - UInt64(frame.count))
        }
        // A node's frames are numbered in the order their deliveries were appended, so its
        // deliveries are kept in ascending order.
        for send in batch.sends { links[send.receiverNode]!.kept.append(Entry(send: send, sentAt: now)) }
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

    /// Forgets every kept delivery `acknowledgement` covers; returns those it reports lost.
    /// An acknowledgement of another run's numbers changes nothing.
    public mutating func acknowledge(_ acknowledgement: LinkAcknowledgement) -> [UndeliveredSend] {
        guard acknowledgement.epoch == epoch, var link = links[acknowledgement.receiverNode] else { return [] }
        links[acknowledgement.receiverNode] = nil  // one copy of the deque, not two
        var lost: [UndeliveredSend] = []
        var forgotten = 0
        while let first = link.kept.first, first.send.sequence <= acknowledgement.through {
            link.kept.removeFirst()
            forgotten += 1
            if acknowledgement.lost.contains(where: { $0.contains(first.send.sequence) }) { lost.append(first.send) }
        }
        count -= forgotten
        links[acknowledgement.receiverNode] = link
        return lost
    }

    /// Forgets and returns the deliveries `run` names, whose frame NATS reported as reaching
    /// nobody.
    public mutating func settle(_ run: UndeliveredRun) -> [UndeliveredSend] {
        guard let kept = links[run.receiverNode]?.kept else { return [] }
        var (low, high) = (kept.startIndex, kept.endIndex)
        while low < high {
            let middle = (low + high) / 2
            if kept[middle].send.sequence < run.sequences.lowerBound { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < kept.endIndex, kept[end].send.sequence <= run.sequences.upperBound { end += 1 }
        guard low < end else { return [] }
        let settled = kept[low..<end].map(\.send)
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
                expired.append(links[node]!.kept.removeFirst().send)
            }
        }
        count -= expired.count
        return expired.filter { !$0.confirm }
    }

    /// Forgets every delivery kept for `node`, which died, and returns those without
    /// `confirm`. Its numbering goes on: a node taken for dead that was only silent sees no
    /// number twice.
    public mutating func abandon(node: String) -> [UndeliveredSend] {
        guard let kept = links[node]?.kept, !kept.isEmpty else { return [] }
        links[node]!.kept.removeAll()
        count -= kept.count
        return kept.map(\.send).filter { !$0.confirm }
    }
}
