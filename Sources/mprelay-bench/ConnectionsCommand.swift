import ArgumentParser

/// `mprelay-bench connections`: many idle registered peers, and what they cost the daemon.
struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "Opens many idle, authenticated, registered peers; with --pid, the daemon's memory for them.",
        discussion: """
            Opens --count connections on --threads threads, each authenticated and registered under its \
            own name, holds them idle for --hold seconds, then closes them. With --pid, the daemon's \
            VmRSS is read from /proc before, while all are open, and after they close. The daemon's \
            max_connections must allow --count, and both processes need as many file descriptors \
            (this one raises its soft limit itself).
            """
    )

    @OptionGroup var server: ServerOptions

    @Option(help: "Connections to open.")
    var count = 10_000

    @Option(help: "Threads opening them.")
    var threads = 2

    @Option(help: "Seconds to hold them all open and idle before measuring.")
    var hold = 2.0

    @Option(help: "Seconds the whole run may take.")
    var deadline = 120.0

    func validate() throws {
        guard count >= 1, threads >= 1 else { throw ValidationError("--count and --threads must be at least 1") }
        guard hold >= 0, deadline > 0 else { throw ValidationError("--hold must be at least 0 and --deadline positive") }
    }

    func run() throws {
        let run = ConnectionsRun(
            target: try server.target(),
            count: count,
            threads: min(threads, count),
            hold: hold,
            deadline: deadline,
            progress: server.progress,
            serverStats: server.serverStats
        )
        try server.finish(try run.run())
    }
}
