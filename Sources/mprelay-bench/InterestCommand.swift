import ArgumentParser

/// `mprelay-bench interest`: how long a new NATS subscription takes to be routable from
/// another server of the cluster.
struct InterestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interest",
        abstract: "NATS only: time from a SUB on one nats-server to the first message published on another reaching it.",
        discussion: """
            What a subject per peer would add to a registration on a clustered node: the new \
            subscription must reach the other servers over their routes before a message from \
            another node can find it. A subscriber on --receiver-address subscribes to --count fresh \
            subjects one after the other (and keeps them, as registered peers would); for each, a \
            publisher on --address publishes to it, each publish followed by a PING/PONG with its \
            server, until one arrives. The time is from writing the SUB to that arrival, so it is \
            late by at most one of the publisher's round trips (reported). Without \
            --receiver-address both are on one server: the time a SUB takes with no route.
            """
    )

    @OptionGroup var server: ServerOptions

    @Option(help: "Fresh subjects subscribed to, one after the other.")
    var count = 1_000

    @Option(help: "Seconds one subscription may take to become routable before the run fails.")
    var timeout = 10.0

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let run = InterestRun(target: try server.target(.nats), count: count, timeout: timeout, progress: server.progress)
        try server.finish(try run.run())
    }
}
