import Dispatch
import Foundation

/// Runs bodies on their own threads and waits for them, printing progress while it waits.
enum Workers {
    /// Starts one thread per index in `0..<count`, each running `body(index)`, and returns when
    /// all have returned. Every `tick` seconds meanwhile, calls `onTick` on the calling thread.
    static func run(
        count: Int,
        tick: Double = 1,
        onTick: () -> Void = {},
        _ body: @escaping @Sendable (Int) -> Void
    ) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                body(index)
                group.leave()
            }
            thread.name = "bench-\(index)"
            thread.start()
        }
        while group.wait(timeout: .now() + tick) == .timedOut { onTick() }
    }
}
