import MPRelayCluster

/// The deliveries one connection sent to peers on other nodes during one read batch, published
/// together when the batch ends (``ClusterLink/publish(_:)``): one write to NATS for many
/// messages. Confined to the sending connection's queue.
struct RemoteStaging {
    /// The encoded frames; created from the node on first use.
    var frames: ClusterPublishBatch?
    /// Which of the staged SENDs (``sends``) are tracked until their ACK (`confirm`).
    var confirmations: [Bool] = []
    /// The payload bytes staged, counted once published.
    var payloadBytes = 0

    /// Each staged SEND, for the ERROR its sender gets if the batch cannot be published.
    var sends: [UndeliveredSend] { frames?.sends ?? [] }

    /// Whether nothing is staged.
    var isEmpty: Bool { frames?.isEmpty ?? true }

    /// Forgets what was staged, keeping the buffers.
    mutating func reset() {
        frames?.removeAll()
        confirmations.removeAll(keepingCapacity: true)
        payloadBytes = 0
    }
}
