import Synchronization

/// A node's cross-node traffic and NATS link, counted since it started, for metrics.
public struct ClusterCounters: Equatable, Sendable {
    /// Frames published to other nodes.
    public var framesSent: UInt64 = 0
    /// Frames other nodes published to this one that decoded.
    public var framesReceived: UInt64 = 0
    /// Frames that did not decode, or could not be published (NATS unavailable).
    public var frameErrors: UInt64 = 0
    /// Times the NATS connection was re-established after a loss.
    public var natsReconnects: UInt64 = 0

    /// All zero.
    public init() {}
}

/// The counters behind ``ClusterCounters``, updated without a lock from any thread.
final class ClusterMeters: Sendable {
    let framesSent = Atomic<UInt64>(0)
    let framesReceived = Atomic<UInt64>(0)
    let frameErrors = Atomic<UInt64>(0)
    let natsReconnects = Atomic<UInt64>(0)

    /// Adds one to `counter`.
    static func count(_ counter: borrowing Atomic<UInt64>) {
        counter.wrappingAdd(1, ordering: .relaxed)
    }

    /// Adds `count` to `counter`.
    static func add(_ count: UInt64, to counter: borrowing Atomic<UInt64>) {
        counter.wrappingAdd(count, ordering: .relaxed)
    }

    /// A consistent-enough copy: each counter read once.
    var snapshot: ClusterCounters {
        var counters = ClusterCounters()
        counters.framesSent = framesSent.load(ordering: .relaxed)
        counters.framesReceived = framesReceived.load(ordering: .relaxed)
        counters.frameErrors = frameErrors.load(ordering: .relaxed)
        counters.natsReconnects = natsReconnects.load(ordering: .relaxed)
        return counters
    }
}
