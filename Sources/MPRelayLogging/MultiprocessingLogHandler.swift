public import Logging
public import MPRelayCommon
import Glibc
import Synchronization

/// A swift-log handler that writes `[LEVEL/processName] message` lines, the format of Python's
/// `multiprocessing.log_to_stderr()`, through a ``LogOutput`` (stderr, or the journal), which
/// never lets the thread that logs wait for the output's reader.
///
/// `processName` comes from the logger's `processName` metadata (a connection's queue name,
/// `Connection-N`), else `MainProcess`. The level is shared through a ``LogLevelControl`` so a
/// reload can change it for every logger at once.
public struct MultiprocessingLogHandler: LogHandler {
    /// The metadata key naming the "process" a line belongs to.
    public static let processNameKey = "processName"

    private let control: LogLevelControl
    private let output: LogOutput
    /// Metadata attached to every line of this logger.
    public var metadata: Logger.Metadata = [:]
    /// Metadata computed for each line.
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler whose level follows `control` and whose lines go to `output`.
    public init(control: LogLevelControl, output: LogOutput) {
        self.control = control
        self.output = output
    }

    /// The least severe level written; setting it changes every logger sharing the control.
    public var logLevel: Logger.Level {
        get { control.level.swiftLogLevel }
        set { control.level = LogLevel(newValue) }
    }

    /// One metadata value of this logger.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Queues `event` on the output.
    public func log(event: LogEvent) {
        output.append(LogRecord(event, metadata: metadata, provider: metadataProvider))
    }

    /// One log line, newline included.
    public static func format(level: LogLevel, processName: String?, message: String) -> String {
        "[\(level.label)/\(processName ?? "MainProcess")] \(message)\n"
    }
}

/// The level every ``MultiprocessingLogHandler`` of a process obeys, changeable at run time.
public final class LogLevelControl: Sendable {
    private let raw: Atomic<Int>

    /// A control whose level starts at `level`.
    public init(_ level: LogLevel) {
        raw = Atomic(LogLevel.allCases.firstIndex(of: level)!)
    }

    /// The least severe level that is written.
    public var level: LogLevel {
        get { LogLevel.allCases[raw.load(ordering: .relaxed)] }
        set { raw.store(LogLevel.allCases.firstIndex(of: newValue)!, ordering: .relaxed) }
    }
}

extension LogLevel {
    /// The swift-log level this multiprocessing level maps to.
    public var swiftLogLevel: Logger.Level {
        switch self {
        case .subdebug: return .trace
        case .debug: return .debug
        case .info: return .info
        case .subwarning: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical: return .critical
        }
    }

    /// The multiprocessing level a swift-log level maps to.
    public init(_ level: Logger.Level) {
        switch level {
        case .trace: self = .subdebug
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .subwarning
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
