import Synchronization

/// Moves state that is not `Sendable` (connections) from the thread that built it to the worker
/// threads that will own it. Each slot is taken once; the builder keeps no reference.
final class Handoff<Value>: Sendable {
    private let slots: Mutex<[Value?]>

    /// Takes ownership of `values`, one slot per worker.
    init(_ values: sending [Value?]) {
        slots = Mutex(values)
    }

    /// Takes slot `index` out; a second take of the same slot returns nil.
    func take(_ index: Int) -> sending Value? {
        slots.withLock { slots -> sending Value? in
            let value = slots[index]
            slots[index] = nil
            return value
        }
    }
}
