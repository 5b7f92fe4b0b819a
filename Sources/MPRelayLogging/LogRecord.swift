public import Logging
public import MPRelayCommon

/// One log line as the handlers hand it to a ``LogOutput``: the level, the multiprocessing
/// "process" it belongs to, the text, and the fields the journal keeps.
public struct LogRecord: Sendable, Equatable {
    /// The metadata key whose value becomes ``connection``.
    public static let connectionKey = "connection"
    /// The metadata key whose value becomes ``peer``.
    public static let peerKey = "peer"
    /// The metadata key whose value becomes ``principal``.
    public static let principalKey = "principal"

    /// The multiprocessing level.
    public var level: LogLevel
    /// `Connection-N`, or nil for `MainProcess`.
    public var processName: String?
    /// The text.
    public var message: String
    /// The connection number, when known.
    public var connection: String?
    /// The registered peer's name, when known.
    public var peer: String?
    /// Who the peer authenticated as, when known.
    public var principal: String?
    /// The source file that logged the line.
    public var file: String?
    /// The line in ``file``.
    public var line: Int?
    /// The function that logged the line.
    public var function: String?

    /// A record of `message` at `level`, with no other field.
    public init(level: LogLevel, processName: String? = nil, message: String) {
        self.level = level
        self.processName = processName
        self.message = message
    }

    /// The record of a swift-log event: the event's own metadata over the provider's over the
    /// logger's.
    public init(_ event: LogEvent, metadata: Logger.Metadata, provider: Logger.MetadataProvider?) {
        var merged = metadata
        if let provided = provider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        func text(_ key: String) -> String? { merged[key].map { "\($0)" } }
        self.init(level: LogLevel(event.level), processName: text(MultiprocessingLogHandler.processNameKey), message: "\(event.message)")
        connection = text(Self.connectionKey)
        peer = text(Self.peerKey)
        principal = text(Self.principalKey)
        file = event.file
        line = Int(event.line)
        function = event.function
    }

    /// The line as stderr shows it: `[LEVEL/processName] message` and a newline.
    public var formatted: String {
        MultiprocessingLogHandler.format(level: level, processName: processName, message: message)
    }
}
