import MPRelayCluster

/// The deliveries one connection sent to peers on other nodes during one read batch, published
/// together when the batch ends (``ClusterLink/publish(_:)``): one write to NATS for many
/// messages. Confined to the sending connection's queue.
struct RemoteStaging {
    /// The encoded frames; created from the node on first use.
    var frames: ClusterPublishBatch?
    /// Each staged SEND, for the ERROR its sender gets if the batch cannot be published.
    var sends: [UndeliveredSend] = []
    /// Which of ``sends`` wait for an ACK (`confirm`).
    var confirmations: [Bool] = []
    /// The payload bytes staged, counted once published.
    var payloadBytes = 0

    /// Whether nothing is staged.
    var isEmpty: Bool { sends.isEmpty }

    /// Forgets what was staged, keeping the buffers.
    mutating func reset() {
        frames?.removeAll()
        sends.removeAll(keepingCapacity: true)
        confirmations.removeAll(keepingCapacity: true)
        payloadBytes = 0
    }
}
