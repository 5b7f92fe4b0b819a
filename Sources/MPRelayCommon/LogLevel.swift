/// A log level, named as Python's `multiprocessing` logging names them.
public enum LogLevel: String, CaseIterable, Comparable, Sendable {
    case subdebug
    case debug
    case info
    case subwarning
    case warning
    case error
    case critical

    /// The upper-case name printed in log lines, e.g. `SUBWARNING`.
    public var label: String { rawValue.uppercased() }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    /// Whether `lhs` is less severe than `rhs`.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// Where log lines go.
public enum LogTarget: String, CaseIterable, Sendable {
    /// `[LEVEL/processName] message` lines on stderr.
    case stderr
    /// The same text as MESSAGE in the systemd journal, with fields to filter on
    /// (PRIORITY, MPRELAY_CONNECTION, MPRELAY_PEER, MPRELAY_PRINCIPAL).
    case journal
}
