import ArgumentParser

/// `mprelay-bench latency`: one ping-pong pair, round-trip percentiles.
struct LatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "One ping-pong pair through the server; round-trip time percentiles.",
        discussion: """
            Peer A sends a --size byte message to peer B and waits; B, on its own thread, echoes it \
            back. After --warmup round trips, --count round trips are recorded in an HdrHistogram \
            (nanoseconds, 3 significant digits). Each peer uses one connection for both directions. \
            With --protocol nats, --subscriptions and --subjects spread the messages over many subjects.
            """
    )

    @OptionGroup var server: ServerOptions

    @Option(name: .customLong("protocol"), help: "The server's protocol: mprelay or nats.")
    var wireProtocol: WireProtocol = .mprelay

    @OptionGroup var subjects: NATSSubjectOptions

    @Option(help: "Round trips recorded.")
    var count = 20_000

    @Option(help: "Round trips before recording starts.")
    var warmup = 1_000

    @Option(help: "Payload bytes per message (at least \(PayloadStamp.minimumSize)).")
    var size = 64

    @Option(help: "Seconds the whole run may take.")
    var deadline = 60.0

    func validate() throws {
        try subjects.validate(for: wireProtocol)
        guard count >= 1, warmup >= 0 else { throw ValidationError("--count must be at least 1 and --warmup at least 0") }
        guard size >= PayloadStamp.minimumSize else {
            throw ValidationError("--size must be at least \(PayloadStamp.minimumSize): the payload carries its sequence number")
        }
        guard deadline > 0 else { throw ValidationError("--deadline must be positive") }
    }

    func run() throws {
        let run = LatencyRun(
            target: try server.target(wireProtocol, natsLayout: subjects.layout),
            count: count,
            warmup: warmup,
            size: size,
            deadline: deadline,
            progress: server.progress,
            serverStats: server.serverStats
        )
        try server.finish(try run.run())
    }
}
