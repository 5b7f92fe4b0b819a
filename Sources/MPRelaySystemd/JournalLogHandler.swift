public import Logging
public import MPRelayLogging
import Glibc
import MPRelayCommon
import MPRelayPOSIX

/// A swift-log handler that writes each line to the systemd journal as a structured entry,
/// for `log_target = "journal"`, through a ``LogOutput`` made by ``output(sink:capacity:)``, so
/// that a journald that does not read never stalls the thread that logs.
///
/// `MESSAGE=` is the same `[LEVEL/processName] message` text the stderr handler
/// (``MultiprocessingLogHandler``) writes, so `journalctl -u mprelay` reads the same either way;
/// the entry adds `PRIORITY=` (``JournalPriority``), and `MPRELAY_CONNECTION=`, `MPRELAY_PEER=`,
/// `MPRELAY_PRINCIPAL=` from the logger metadata keys ``connectionKey``, ``peerKey`` and
/// ``principalKey``. If journald refuses an entry the line goes to stderr instead. Install it
/// only when ``JournalSink/isAvailable``: without journald, libsystemd drops entries silently.
public struct JournalLogHandler: LogHandler {
    /// The metadata key whose value becomes `MPRELAY_CONNECTION=`.
    public static let connectionKey = LogRecord.connectionKey
    /// The metadata key whose value becomes `MPRELAY_PEER=`.
    public static let peerKey = LogRecord.peerKey
    /// The metadata key whose value becomes `MPRELAY_PRINCIPAL=`.
    public static let principalKey = LogRecord.principalKey

    private let control: LogLevelControl
    private let output: LogOutput
    /// Metadata attached to every line of this logger.
    public var metadata: Logger.Metadata = [:]
    /// Metadata computed for each line.
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler whose level follows `control`, as the stderr handler's does, so a
    /// reload that changes `log_level` changes both.
    ///
    /// - Parameter output: an output made by ``output(sink:capacity:)``.
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

    /// Queues `event` for the journal.
    public func log(event: LogEvent) {
        output.append(LogRecord(event, metadata: metadata, provider: metadataProvider))
    }

    /// An output whose writer sends each record to the journal through `sink`, or writes it to
    /// stderr when journald refuses it.
    public static func output(sink: JournalSink = JournalSink(), capacity: Int = 1 << 20) -> LogOutput {
        LogOutput(capacity: capacity) { records in
            for record in records {
                do {
                    try sink.send(
                        String(record.formatted.dropLast()),
                        priority: JournalPriority(record.level),
                        connection: record.connection,
                        peer: record.peer,
                        principal: record.principal,
                        file: record.file,
                        line: record.line,
                        function: record.function
                    )
                } catch {
                    DescriptorWrite.all(record.formatted, to: STDERR_FILENO)
                }
            }
        }
    }
}
