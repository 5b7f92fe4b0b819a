import Dispatch
import Glibc
import MPRelayPOSIX
import Synchronization
import Testing

/// The idle scheduling class, on real threads: the thread that asks for it gets it, and threads
/// it starts do not inherit it.
struct CallingThreadTests {
    /// The scheduling classes `sched_getscheduler` reports.
    static let normalClass: Int32 = 0  // SCHED_OTHER
    static let idleClass: Int32 = 5  // SCHED_IDLE

    @Test func anIdleThreadStartsThreadsInTheNormalClass() {
        let classes = Mutex<(idle: Int32, started: Int32, dispatchWorker: Int32)>((-1, -1, -1))
        let done = DispatchSemaphore(value: 0)
        ServiceThread.start(name: "test-idle") {
            let moved: Bool
            do {
                try CallingThread.moveToIdleClass()
                moved = true
            } catch {
                moved = false
            }
            let idle = moved ? sched_getscheduler(0) : -2
            // A thread of its own, and whatever Dispatch starts for a burst of work it enqueues.
            let started = DispatchSemaphore(value: 0)
            ServiceThread.start(name: "test-child") {
                classes.withLock { $0.started = sched_getscheduler(0) }
                started.signal()
            }
            started.wait()
            let group = DispatchGroup()
            for _ in 0..<64 {
                DispatchQueue.global().async(group: group) {
                    let policy = sched_getscheduler(0)
                    classes.withLock { $0.dispatchWorker = max($0.dispatchWorker, policy) }
                    usleep(200)
                }
            }
            group.wait()
            classes.withLock { $0.idle = idle }
            done.signal()
        }
        done.wait()
        let seen = classes.withLock { $0 }
        #expect(seen.idle == Self.idleClass)
        #expect(seen.started == Self.normalClass)
        #expect(seen.dispatchWorker == Self.normalClass)
    }
}
