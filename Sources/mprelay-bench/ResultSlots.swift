import Synchronization

/// Where worker threads leave their results, one slot each, for the thread that joins them.
final class ResultSlots<Value: Sendable>: Sendable {
    private let slots: Mutex<[Value?]>

    /// Makes `count` empty slots.
    init(count: Int) {
        slots = Mutex([Value?](repeating: nil, count: count))
    }

    /// Stores worker `index`'s result.
    func store(_ value: Value, at index: Int) {
        slots.withLock { $0[index] = value }
    }

    /// Every stored result, in worker order (a worker that stored nothing is left out).
    func all() -> [Value] {
        slots.withLock { $0.compactMap { $0 } }
    }
}
