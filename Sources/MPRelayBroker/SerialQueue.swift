import Dispatch
import Synchronization

/// A serial Dispatch queue that knows whether work is queued on it or running.
///
/// Each connection's (and each endpoint's) state is confined to one. Every block enters through
/// ``async(group:execute:)`` or ``sync(execute:)``, which count it from the moment it is queued
/// until it has run. The ``ReadinessPoller`` reads that count before it enters the queue from a
/// poller thread: with work ahead, `sync` would wait for it, so the poller queues the turn
/// instead and goes back to the other sockets' events. (A block queued by another thread in the
/// instant between that check and the `sync` can still go first: one short block, never a turn,
/// which ``PollerTurn`` keeps to one at a time.)
final class SerialQueue: Sendable {
    /// The Dispatch queue itself, for `dispatchPrecondition`.
    let dispatchQueue: DispatchQueue
    /// Blocks queued or running.
    private let blocks = Atomic<Int>(0)

    /// A new serial queue named `label` (the name thread dumps and profiles show).
    init(label: String) {
        dispatchQueue = DispatchQueue(label: label)
    }

    /// Whether a block is queued or running: entering with `sync` now would wait behind it.
    var isOccupied: Bool { blocks.load(ordering: .acquiring) != 0 }

    /// Queues `work`, in `group` when given.
    func async(group: DispatchGroup? = nil, execute work: @escaping @Sendable () -> Void) {
        blocks.add(1, ordering: .relaxed)
        dispatchQueue.async(group: group) { [self] in
            work()
            blocks.subtract(1, ordering: .releasing)
        }
    }

    /// Queues `work` to run at `deadline`; it counts from the moment it runs.
    func asyncAfter(deadline: DispatchTime, execute work: @escaping @Sendable () -> Void) {
        dispatchQueue.asyncAfter(deadline: deadline) { [self] in
            blocks.add(1, ordering: .relaxed)
            work()
            blocks.subtract(1, ordering: .releasing)
        }
    }

    /// Runs `work` on the queue and waits for it.
    func sync<Result>(execute work: () -> Result) -> Result {
        blocks.add(1, ordering: .relaxed)
        defer { blocks.subtract(1, ordering: .releasing) }
        return dispatchQueue.sync(execute: work)
    }
}
