import Glibc
import NIOCore

/// Runs every task of the monitoring server on its one event loop thread, at a lower scheduling
/// priority than the relay's threads.
///
/// Hummingbird's request handlers are Swift tasks, which would otherwise run on the global
/// executor's threads, the Dispatch threads the relay's connection queues run on: a flood of
/// HTTP requests would then take the relay's threads, not only its cores. As the task executor
/// preference of the server's task (inherited by the task group that serves each connection), this
/// executor keeps the HTTP parsing, the handlers and the metrics rendering on one thread; its
/// niceness makes the kernel give the relay's threads the cores first when both want them, while
/// the monitoring server still gets the time the relay leaves idle.
final class MonitoringExecutor: TaskExecutor {
    /// The niceness of the monitoring thread: with the relay at 0, the kernel's weights give it
    /// about a tenth of a contended core (`sched(7)`: weight 110 against 1024).
    static let niceness: Int32 = 10

    private let eventLoop: any EventLoop

    /// Takes over `eventLoop`'s thread, and lowers its priority to ``niceness``.
    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        eventLoop.execute {
            // On Linux the niceness is a thread's own: PRIO_PROCESS with 0 sets the calling
            // thread's alone (setpriority(2), BUGS). Lowering one's own priority needs no
            // privilege; if it fails anyway, only the thread isolation holds.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
