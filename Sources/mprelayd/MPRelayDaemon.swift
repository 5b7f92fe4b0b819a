import ArgumentParser
import Dispatch
import Glibc
import Logging
import MPRelayBroker
import MPRelayCommon
import MPRelayConfig
import MPRelayLogging
import MPRelayPOSIX
import MPRelaySystemd

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
        SignalMask.blockHandledSignals()
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
            if let problem = TLSFilesCheck.firstProblem(in: loaded) {
                printError("mprelayd: \(problem)")
                throw ExitCode.failure
            }
            print("\(loaded.source): OK, \(loaded.endpoints.count) endpoint(s)")
            for warning in loaded.warnings { print("warning: \(warning)") }
            return
        }
        let inherited: [String: [Int32]]
        do {
            inherited = try claimInheritedSockets(for: loaded)
        } catch {
            printError("mprelayd: \(loaded.source): \(error)")
            throw ExitCode.failure
        }
        let levelControl = LogLevelControl(loaded.broker.logLevel)
        let journal = loaded.broker.logTarget == .journal && JournalSink.isAvailable
        let logOutput = journal ? JournalOutput.make() : LogOutput.descriptor(STDERR_FILENO)
        LoggingSystem.bootstrap { _ in MultiprocessingLogHandler(control: levelControl, output: logOutput) }
        let daemon = Daemon(
            configuration: loaded,
            path: config,
            levelControl: levelControl,
            logOutput: logOutput,
            environment: environment,
            inheritedSockets: inherited
        )
        if loaded.broker.logTarget == .journal && !journal {
            daemon.logger.warning("log_target = \"journal\" but there is no journal socket (\(JournalSink.socketPath)); logging to stderr")
        }
        for note in notes { daemon.logger.info("\(note)") }
        try daemon.run()
    }

    /// Takes the listening sockets systemd passed for the endpoints written `socket = "NAME"`,
    /// every socket of a name (a unit may list several `ListenStream=` lines under one name). A
    /// passed socket that no endpoint names is an error, so none is silently ignored.
    private func claimInheritedSockets(for configuration: Configuration) throws(SystemdError) -> [String: [Int32]] {
        var passed = try ListenFileDescriptors.inherited()
        var claimed: [String: [Int32]] = [:]
        for endpoint in configuration.endpoints {
            guard case .systemdSocket(let name) = endpoint.address else { continue }
            claimed[name] = try passed.claim(name).map(\.fd)
        }
        try passed.checkAllClaimed()
        return claimed
    }
}

/// Writes a line to stderr (Glibc's `stderr` global is not usable in Swift 6 mode).
func printError(_ line: String) {
    DescriptorWrite.standardError(line)
}
