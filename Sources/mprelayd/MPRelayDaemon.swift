import ArgumentParser
import Dispatch
import Glibc
import Logging
import MPRelayBroker
import MPRelayConfig

/// `mprelayd`: loads the configuration, starts the broker and runs until SIGTERM or SIGINT.
@main
struct MPRelayDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mprelayd",
        abstract: "Relay messages between named Python multiprocessing peers.",
        discussion: """
            Clients authenticate exactly like multiprocessing.connection.Client(address, authkey=...), \
            register a name, and exchange messages with other named peers. Without --config, mprelayd \
            listens on 127.0.0.1:6000 and a socket in its runtime directory, with a random authkey \
            written to a file whose path it logs (MPRELAY_AUTHKEY overrides).
            """,
        version: MPRelayVersion.current
    )

    @Option(name: .long, help: ArgumentHelp("The TOML configuration file.", valueName: "path"))
    var config: String?

    @Flag(name: .long, help: "Check the configuration, print the first problem if any, and exit 0 (valid) or 1.")
    var checkConfig = false

    func validate() throws {
        if checkConfig && config == nil { throw ValidationError("--check-config needs --config PATH") }
    }

    func run() throws {
        let environment = ProcessEnvironment.current
        let loaded: Configuration
        var notes: [String] = []
        do {
            if let config {
                loaded = try ConfigLoader(environment: environment).load(path: config)
            } else {
                let (embedded, keyNote) = try Configuration.embedded(environment: environment)
                loaded = embedded
                notes.append(keyNote)
            }
        } catch {
            printError("mprelayd: \(error)")
            throw ExitCode.failure
        }
        if checkConfig {
            print("\(loaded.source): OK, \(loaded.endpoints.count) endpoint(s)")
            for warning in loaded.warnings { print("warning: \(warning)") }
            return
        }
        let levelControl = LogLevelControl(loaded.broker.logLevel)
        LoggingSystem.bootstrap { _ in MultiprocessingLogHandler(control: levelControl) }
        let daemon = Daemon(configuration: loaded, path: config, levelControl: levelControl, environment: environment)
        for note in notes { daemon.logger.info("\(note)") }
        try daemon.run()
    }
}

/// Writes a line to stderr (Glibc's `stderr` global is not usable in Swift 6 mode).
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}
