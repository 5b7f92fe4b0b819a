import CMPRelayShims
import Glibc

/// What a thread may change about itself: its name and its scheduling class.
public enum CallingThread {
    /// Names the calling thread, as `top -H` and `perf` show it (the kernel keeps 15 bytes).
    public static func setName(_ name: String) {
        mprelay_name_thread(name)
    }

    /// Moves the calling thread to the idle scheduling class (`SCHED_IDLE`, `sched(7)`).
    ///
    /// The thread then runs on a core only while no thread of another class wants it, and the
    /// kernel counts a core that runs nothing else as free when it places a waking thread: a
    /// relay thread that wakes takes that core at once instead of waiting for a time slice.
    /// Lowering one's own class needs no privilege.
    public static func moveToIdleClass() throws(SystemCallError) {
        if mprelay_make_thread_idle() != 0 {
            throw SystemCallError("sched_setscheduler", errno: errno)
        }
    }
}
