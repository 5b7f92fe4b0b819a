import Glibc

/// A detached thread that runs for the life of the process: the poller's and the deadline
/// scheduler's loops, which block in system calls and so must not borrow Dispatch's threads.
public enum ServiceThread {
    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void

        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts `body` on a new thread named `name` (as `top -H` and `perf` show it).
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        var thread = pthread_t()
        let argument = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        let status = pthread_create(&thread, nil, { argument in
            let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
            CallingThread.setName(body.name)
            body.run()
            return nil
        }, argument)
        precondition(status == 0, "pthread_create failed: \(status)")
        pthread_detach(thread)
    }
}
