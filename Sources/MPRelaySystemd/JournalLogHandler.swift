public import Logging
public import MPRelayBroker
import Glibc
import MPRelayConfig

/// A swift-log handler that writes each line to the systemd journal as a structured entry,
/// for `log_target = "journal"`.
///
/// `MESSAGE=` is the same `[LEVEL/processName] message` text the stderr handler
/// (``MultiprocessingLogHandler``) writes, so `journalctl -u mprelay` reads the same either way;
/// the entry adds `PRIORITY=` (``JournalPriority``), and `MPRELAY_CONNECTION=`, `MPRELAY_PEER=`,
/// `MPRELAY_PRINCIPAL=` from the logger metadata keys ``connectionKey``, ``peerKey`` and
/// ``principalKey``. If journald refuses an entry the line goes to stderr instead. Install it
/// only when ``JournalSink/isAvailable``: without journald, libsystemd drops entries silently.
public struct JournalLogHandler: LogHandler {
    /// The metadata key whose value becomes `MPRELAY_CONNECTION=`.
    public static let connectionKey = "connection"
    /// The metadata key whose value becomes `MPRELAY_PEER=`.
    public static let peerKey = "peer"
    /// The metadata key whose value becomes `MPRELAY_PRINCIPAL=`.
    public static let principalKey = "principal"

    private let control: LogLevelControl
    private let sink: JournalSink
    /// Metadata attached to every line of this logger.
    public var metadata: Logger.Metadata = [:]
    /// Metadata computed for each line.
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler whose level follows `control`, as the stderr handler's does, so a
    /// reload that changes `log_level` changes both.
    public init(control: LogLevelControl, sink: JournalSink = JournalSink()) {
        self.control = control
        self.sink = sink
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

    /// Writes `event` to the journal, or to stderr if the journal refuses it.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        func text(_ key: String) -> String? { merged[key].map { "\($0)" } }
        let level = LogLevel(event.level)
        var line = MultiprocessingLogHandler.format(
            level: level,
            processName: text(MultiprocessingLogHandler.processNameKey),
            message: "\(event.message)"
        )
        do {
            try sink.send(
                String(line.dropLast()),
                priority: JournalPriority(level),
                connection: text(Self.connectionKey),
                peer: text(Self.peerKey),
                principal: text(Self.principalKey),
                file: event.file,
                line: Int(event.line),
                function: event.function
            )
        } catch {
            line.withUTF8 { bytes in
                var remaining = UnsafeRawBufferPointer(bytes)
                while !remaining.isEmpty {
                    let written = write(STDERR_FILENO, remaining.baseAddress, remaining.count)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }
                    remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
                }
            }
        }
    }
}
