import DequeModule

/// The deliveries this node published to other nodes and has not heard back about: the sending
/// half of the numbering ``LinkAcknowledgement`` describes.
///
/// ``record(_:now:)`` numbers a batch's deliveries per receiving node, in the order they are
/// written to NATS, and keeps each one (without its payload) until the receiving node
/// acknowledges it, reports it lost, or does not answer in time; each way out returns the
/// SENDs whose senders must hear an ERROR, so that no delivery is lost unsaid. `confirm`
/// deliveries are numbered but not kept: their ACK or ERROR answers them one by one.
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

    /// Numbers every delivery of `batch` and keeps those without `confirm`, sent at `now`.
    /// Returns false, changing nothing, when that would keep more than ``limit``.
    public mutating func record(_ batch: inout ClusterPublishBatch, now: UInt64) -> Bool {
        guard count + batch.sends.count <= limit else { return false }
        for index in batch.sends.indices {
            let node = batch.sends[index].receiverNode
            links[node, default: Link()].next += 1
            batch.number(index, as: links[node]!.next - 1)
            guard !batch.isConfirmed(index) else { continue }
            links[node]!.kept.append(Entry(send: batch.sends[index], sentAt: now))
            count += 1
        }
        return true
    }

    /// Takes back what ``record(_:now:)`` did for `batch`, the last batch recorded, which could
    /// not be published: its numbers are given out again.
    public mutating func rollBack(_ batch: ClusterPublishBatch) {
        for index in batch.sends.indices.reversed() {
            let node = batch.sends[index].receiverNode
            links[node]?.next -= 1
            guard !batch.isConfirmed(index) else { continue }
            links[node]?.kept.removeLast()
            count -= 1
        }
    }

    /// Forgets every kept delivery `acknowledgement` covers; returns those it reports lost.
    /// An acknowledgement of another run's numbers changes nothing.
    public mutating func acknowledge(_ acknowledgement: LinkAcknowledgement) -> [UndeliveredSend] {
        guard acknowledgement.epoch == epoch, var link = links[acknowledgement.receiverNode] else { return [] }
        var lost: [UndeliveredSend] = []
        while let first = link.kept.first, first.send.sequence <= acknowledgement.through {
            link.kept.removeFirst()
            if acknowledgement.lost.contains(where: { $0.contains(first.send.sequence) }) { lost.append(first.send) }
        }
        count -= links[acknowledgement.receiverNode]!.kept.count - link.kept.count
        links[acknowledgement.receiverNode] = link
        return lost
    }

    /// Forgets and returns the delivery numbered `sequence` to `node`, which NATS reported as
    /// reaching nobody; nil if it is not kept.
    public mutating func settle(node: String, sequence: UInt64) -> UndeliveredSend? {
        guard let kept = links[node]?.kept else { return nil }
        var (low, high) = (kept.startIndex, kept.endIndex)
        while low < high {
            let middle = (low + high) / 2
            if kept[middle].send.sequence < sequence { low = middle + 1 } else { high = middle }
        }
        guard low < kept.endIndex, kept[low].send.sequence == sequence else { return nil }
        let index = low
        count -= 1
        return links[node]!.kept.remove(at: index).send
    }

    /// Forgets and returns every delivery kept since before `deadline` (uptime nanoseconds):
    /// no acknowledgement came for it in time.
    public mutating func expire(sentBefore deadline: UInt64) -> [UndeliveredSend] {
        var expired: [UndeliveredSend] = []
        for node in links.keys.sorted() {
            while let first = links[node]!.kept.first, first.sentAt < deadline {
                expired.append(links[node]!.kept.removeFirst().send)
            }
        }
        count -= expired.count
        return expired
    }

    /// Forgets and returns every delivery kept for `node`, which died. Its numbering goes on:
    /// a node taken for dead that was only silent sees no number twice.
    public mutating func abandon(node: String) -> [UndeliveredSend] {
        guard let kept = links[node]?.kept, !kept.isEmpty else { return [] }
        links[node]!.kept.removeAll()
        count -= kept.count
        return kept.map(\.send)
    }
}
