import Dispatch

/// Limits WARNING lines about refused actions to one a second per connection, counting the rest,
/// so a hostile peer cannot flood the log.
struct DenialLogThrottle {
    private var lastLogged: DispatchTime?
    private var suppressed = 0

    /// Whether to log now; if so, how many refusals were not logged since the last line.
    mutating func shouldLog(now: DispatchTime = .now()) -> (log: Bool, suppressed: Int) {
        if let lastLogged, now.uptimeNanoseconds - lastLogged.uptimeNanoseconds < 1_000_000_000 {
            suppressed += 1
            return (false, 0)
        }
        lastLogged = now
        defer { suppressed = 0 }
        return (true, suppressed)
    }
}
