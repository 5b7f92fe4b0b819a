import ArgumentParser

/// `mprelay-bench handshakes`: new authenticated connections per second.
struct HandshakesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handshakes",
        abstract: "New authenticated, registered connections per second, each closed with GOODBYE.",
        discussion: """
            Each of --threads threads connects, authenticates, registers a fresh name, says GOODBYE \
            and waits for the daemon to close, over and over for --duration seconds. The rate counts \
            whole connections; the latency is from connect() to WELCOME. A handshake is five round \
            trips, so a few blocking clients measure their own waiting rather than the daemon: the \
            default of 8 keeps a 2-core daemon busy.
            """
    )

    @OptionGroup var server: ServerOptions

    @Option(help: "Seconds to keep connecting.")
    var duration = 5.0

    @Option(help: "Threads connecting at once.")
    var threads = 8

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
    }

    func run() throws {
        let run = HandshakesRun(
            target: try server.target(),
            duration: duration,
            threads: threads,
            progress: server.progress,
            serverStats: server.serverStats
        )
        try server.finish(try run.run())
    }
}
