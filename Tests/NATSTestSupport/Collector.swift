public import Foundation
import Synchronization

/// Collects what handlers are called with, and waits for it.
public final class Collector<Item: Sendable>: Sendable {
    private let items = Mutex<[Item]>([])

    /// An empty collector.
    public init() {}

    /// Records `item`.
    public func append(_ item: Item) { items.withLock { $0.append(item) } }

    /// Everything recorded so far.
    public var all: [Item] { items.withLock { $0 } }

    /// Waits until `condition` holds for the items, up to `timeout` seconds; returns them.
    @discardableResult
    public func wait(timeout: TimeInterval = 10, until condition: ([Item]) -> Bool) -> [Item] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let now = all
            if condition(now) || Date() >= deadline { return now }
            usleep(5_000)
        }
    }

    /// Waits for at least `count` items.
    @discardableResult
    public func wait(count: Int, timeout: TimeInterval = 10) -> [Item] {
        wait(timeout: timeout) { $0.count >= count }
    }
}
