import Glibc

/// Nanoseconds on `CLOCK_MONOTONIC`, for intervals and deadlines.
enum MonotonicClock {
    /// The current reading.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// The reading `seconds` from now.
    static func deadline(after seconds: Double) -> UInt64 {
        now() + UInt64(seconds * 1e9)
    }
}
