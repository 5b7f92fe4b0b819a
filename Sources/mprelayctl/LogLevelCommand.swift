import ArgumentParser
import MPRelayCommon
import MPRelayControl

/// `mprelayctl log-level LEVEL`.
struct LogLevelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-level",
        abstract: "Change the daemon's log level until the next reload.",
        discussion: """
            Levels, most verbose first: \(LogLevel.allCases.map(\.rawValue).joined(separator: ", ")). \
            Per-message events are logged at debug and subdebug only. A reload sets the level \
            back to the file's [broker] log_level.

            Examples:
              mprelayctl log-level debug
              mprelayctl log-level info
            """
    )

    @Argument(help: ArgumentHelp("The least severe level to log.", valueName: "level"))
    var level: String

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard LogLevel(rawValue: level.lowercased()) != nil else {
            throw ValidationError("unknown log level \"\(level)\": expected one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let parsed = LogLevel(rawValue: level.lowercased())!
        try ControlCall<LogLevelReport>(options: connection, request: .logLevel(parsed)) { "log level: \($0.previous) -> \($0.level)\n" }.run()
    }
}
