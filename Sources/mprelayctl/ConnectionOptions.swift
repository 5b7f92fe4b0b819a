import ArgumentParser
import Foundation
import Glibc
import MPRelayConfigFile
import MPRelayControl

/// The options every subcommand takes: where the daemon is, and how to print its answer.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The daemon's control socket.",
            discussion: """
                Default: control.sock in the runtime directory mprelayd uses when started by \
                this user ($RUNTIME_DIRECTORY, else $XDG_RUNTIME_DIR/mprelay, else /run/mprelay \
                for root and /tmp/mprelay-UID for others); if that does not exist and \
                /run/mprelay/control.sock does (the packaged service), that one.
                """,
            valueName: "path"
        )
    )
    var socket: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the socket path from this mprelayd configuration file.",
            discussion: "Only its [control] socket is read (the default when unset); the rest of the file is not, key files included.",
            valueName: "path"
        )
    )
    var config: String?

    @Flag(name: .long, help: "Print the daemon's answer as one JSON object per line (docs/CONTROL.md) instead of text.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Give up on the daemon after this many seconds.", valueName: "seconds"))
    var timeout: Double = 10

    func validate() throws {
        if socket != nil && config != nil { throw ValidationError("give --socket or --config, not both") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    /// The socket path to connect to.
    ///
    /// - Throws: ``ConfigError`` when `--config` names a file that cannot be read.
    func socketPath() throws(ConfigError) -> String {
        if let socket { return socket }
        let environment = ProcessInfo.processInfo.environment
        if let config { return try ControlSocket.path(configuredIn: config, environment: environment) }
        let own = ControlSocket.defaultPath(environment: environment)
        let packaged = ControlSocket.packagedPath
        return access(own, F_OK) != 0 && access(packaged, F_OK) == 0 ? packaged : own
    }
}
