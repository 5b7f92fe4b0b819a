import Glibc

/// The real-time clock, for timestamps people read (not for measuring intervals).
enum WallClock {
    /// Seconds since the Unix epoch.
    static var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
