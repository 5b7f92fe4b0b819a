import Dispatch
import Synchronization

/// One result a thread blocks for, given once by whoever comes first: the answer, a failure, or
/// the waiter's own timeout.
final class NATSWaiter<Value: Sendable>: Sendable {
    private let result = Mutex<Result<Value, NATSError>?>(nil)
    private let semaphore = DispatchSemaphore(value: 0)

    /// Sets the result unless one is already set.
    func resolve(_ value: Result<Value, NATSError>) {
        let first = result.withLock { result in
            guard result == nil else { return false }
            result = value
            return true
        }
        if first { semaphore.signal() }
    }

    /// Blocks until a result is set or `timeout` passes, which fails `operation` with a timeout.
    func wait(timeout: Duration, operation: String) throws(NATSError) -> Value {
        if semaphore.wait(timeout: .now() + .milliseconds(timeout.milliseconds)) == .timedOut {
            resolve(.failure(.timeout(operation: operation)))
        }
        return try result.withLock { $0! }.get()
    }
}
