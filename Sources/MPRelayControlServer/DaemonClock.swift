import Glibc
import MPRelayControl

/// When the daemon started serving, by the wall clock for people and the monotonic clock for
/// the uptime (which must not jump when the wall clock is set).
struct DaemonClock: Sendable {
    /// Seconds since the Unix epoch, at start.
    let startedAt: Double
    private let startedMonotonic: Double

    init() {
        startedAt = Self.read(CLOCK_REALTIME)
        startedMonotonic = Self.read(CLOCK_MONOTONIC)
    }

    /// The wall clock now, in seconds since the Unix epoch.
    var now: Double { Self.read(CLOCK_REALTIME) }

    /// Seconds since start.
    var uptime: Double { Self.read(CLOCK_MONOTONIC) - startedMonotonic }

    private static func read(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
