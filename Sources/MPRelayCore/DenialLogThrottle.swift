/// Limits WARNING lines about refused actions to one a second per connection, counting the rest,
/// so a hostile peer cannot flood the log.
public struct DenialLogThrottle: Sendable {
    private var lastLogged: UInt64?
    private var suppressed = 0

    /// A throttle that logs the first refusal.
    public init() {}

    /// Whether to log a refusal at `now` (monotonic nanoseconds); if so, how many refusals were
    /// not logged since the last line.
    public mutating func shouldLog(now: UInt64) -> (log: Bool, suppressed: Int) {
        if let lastLogged, now &- lastLogged < 1_000_000_000 {
            suppressed += 1
            return (false, 0)
        }
        lastLogged = now
        defer { suppressed = 0 }
        return (true, suppressed)
    }
}
