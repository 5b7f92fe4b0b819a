import Logging
import MPRelayPOSIX
import NIOCore

/// Runs every task of the monitoring server on its one event loop thread, in the idle
/// scheduling class, below every relay thread.
///
/// Hummingbird's request handlers are Swift tasks, which would otherwise run on the global
/// executor's threads, the Dispatch threads the relay's connection queues run on: a flood of
/// HTTP requests would then take the relay's threads, not only its cores. As the task executor
/// preference of the server's task (inherited by the task group that serves each connection), this
/// executor keeps the HTTP parsing, the handlers and the metrics rendering on one thread. That
/// thread is in the idle class (`SCHED_IDLE`): a relay thread that wakes takes its core at once,
/// where a lower niceness would still make it wait for the end of a time slice, and the
/// monitoring server gets the time the relay leaves idle.
final class MonitoringExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    /// Takes over `eventLoop`'s thread, names it `mprelay-http` and moves it to the idle class;
    /// if the kernel refuses, logs it and runs at the relay's priority.
    init(eventLoop: any EventLoop, logger: Logger) {
        self.eventLoop = eventLoop
        eventLoop.execute {
            CallingThread.setName("mprelay-http")
            do {
                try CallingThread.moveToIdleClass()
            } catch {
                logger.warning("monitoring HTTP thread keeps the relay's priority: \(error)")
            }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
