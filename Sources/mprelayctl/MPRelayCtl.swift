import ArgumentParser
import Glibc
import MPRelayCommon
import MPRelayPOSIX

/// `mprelayctl`: inspects and steers a running mprelayd through its control socket.
@main
struct MPRelayCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mprelayctl",
        abstract: "Inspect and steer a running mprelayd through its control socket.",
        discussion: """
            mprelayctl sends one command to mprelayd's control socket and prints the answer: as \
            aligned tables for people, or with --json as the daemon's JSON answer for scripts \
            (docs/CONTROL.md describes every field).

            Root and the daemon's own user may always use the socket; other users only when the \
            daemon's [control] allow_users or allow_groups lists them.

            Examples:
              mprelayctl status
              mprelayctl peers --watch 2
              mprelayctl kick worker-7 --reason "restarting the worker pool"
              mprelayctl reload
              mprelayctl SUBCOMMAND --help

            Exit status: 0 ok; 1 the command failed (an unknown peer, a rejected reload); \
            2 usage error; 3 cannot reach the daemon; 4 permission denied.
            """,
        version: MPRelayVersion.current,
        subcommands: [
            StatusCommand.self,
            PeersCommand.self,
            PeerCommand.self,
            KickCommand.self,
            ReloadCommand.self,
            LogLevelCommand.self,
            MetricsCommand.self,
        ]
    )

    /// Parses and runs, with usage errors exiting 2 (ArgumentParser's own default is 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                Output.error(fullMessage(for: error))
                Glibc.exit(CtlExit.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
