import MPRelayNATS

/// Frames for other nodes, gathered while a sender's frames are read and published in one write
/// (``ClusterNode/publish(_:)``).
public struct ClusterPublishBatch: Sendable {
    private let subjects: ClusterSubjects
    private var publications = NATSPublishBatch()

    /// An empty batch for the cluster of `subjects`.
    public init(subjects: ClusterSubjects) {
        self.subjects = subjects
    }

    /// How many frames the batch holds.
    public var count: Int { publications.count }

    /// Whether the batch holds nothing.
    public var isEmpty: Bool { publications.isEmpty }

    /// Appends `frame` for `node`; a delivery with `undelivered` comes back as
    /// ``ClusterNodeEvent/undeliverable(_:)`` when no node subscribes there.
    public mutating func append(_ frame: ClusterFrame, to node: String, undelivered: UndeliveredSend? = nil) {
        do {
            try publications.append(subjects.node(node), replyTo: undelivered.map(subjects.unreachable), payload: frame.encoded())
        } catch {
            // Node ids and cluster names are subject tokens (checked with the configuration),
            // and escaped names are too.
            preconditionFailure("cluster subjects are valid NATS subjects: \(error)")
        }
    }

    /// The encoded publications.
    var natsBatch: NATSPublishBatch { publications }

    /// Empties the batch, keeping its buffer.
    public mutating func removeAll() {
        publications.removeAll()
    }
}
