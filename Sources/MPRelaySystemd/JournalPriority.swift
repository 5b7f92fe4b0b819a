public import MPRelayCommon

/// A journal (syslog) priority, the `PRIORITY=` field: `journalctl -p warning` shows warning
/// and more severe.
public enum JournalPriority: Int32, CaseIterable, Sendable {
    /// 0: the system is unusable.
    case emergency = 0
    /// 1: act now.
    case alert = 1
    /// 2: critical condition.
    case critical = 2
    /// 3: error.
    case error = 3
    /// 4: warning.
    case warning = 4
    /// 5: normal but significant.
    case notice = 5
    /// 6: informational.
    case info = 6
    /// 7: debugging.
    case debug = 7

    /// The priority of a multiprocessing log level: SUBDEBUG and DEBUG are debug, SUBWARNING is
    /// notice, and the others map by name.
    public init(_ level: LogLevel) {
        switch level {
        case .subdebug, .debug: self = .debug
        case .info: self = .info
        case .subwarning: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
