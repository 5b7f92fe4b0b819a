import ArgumentParser
import MPRelayControl

/// `mprelayctl reload`.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Re-read the configuration file, as SIGHUP does.",
        discussion: """
            mprelayd re-reads the file it was started with and applies it whole, or not at all: \
            a file that does not load, or an endpoint that cannot listen, leaves the running \
            configuration untouched. Prints what changed; exits 1 with the reason when the new \
            configuration was rejected. [control] enabled, socket and mode take effect only at a \
            restart; a log level set with `log-level` is replaced by the file's.

            Examples:
              mprelayd --check-config --config /etc/mprelay/mprelay.toml && mprelayctl reload
            """
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try ControlCall<ReloadReport>(options: connection, request: .reload) { "reloaded: \($0.summary)\n" }.run()
    }
}
