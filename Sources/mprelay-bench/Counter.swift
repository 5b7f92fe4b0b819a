import Synchronization

/// A count shared between worker threads and the thread printing progress.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    /// Adds `amount`.
    func add(_ amount: Int) { value.add(amount, ordering: .relaxed) }

    /// The current count.
    var current: Int { value.load(ordering: .relaxed) }
}
