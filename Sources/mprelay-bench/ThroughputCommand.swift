import ArgumentParser

/// `mprelay-bench throughput`: pairs of senders and receivers, pipelined under a credit window.
struct ThroughputCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Pairs of senders and receivers; counts delivered messages per second and checks order and loss.",
        discussion: """
            Sender i sends --count messages of --size bytes to receiver i. Each payload carries its \
            pair and sequence number at the head and, mixed, at the tail; each receiver counts gaps \
            (lost), arrivals below the expected number (reordered), wrong sizes or tails (bad) and, at \
            the end, messages that never arrived (missing). A sender keeps at most --window bytes of \
            payload in flight to its receiver (0: open loop). The rate is delivered messages divided \
            by the time from the first send to the last receive. With --protocol nats, --subscriptions \
            and --subjects spread each pair's messages over many subjects.
            """
    )

    @OptionGroup var server: ServerOptions

    @Option(name: .customLong("protocol"), help: "The server's protocol: mprelay or nats.")
    var wireProtocol: WireProtocol = .mprelay

    @OptionGroup var subjects: NATSSubjectOptions

    @Option(help: "Sender-receiver pairs.")
    var pairs = 4

    @Option(help: "Messages each sender sends.")
    var count = 200_000

    @Option(help: "Payload bytes per message (at least \(PayloadStamp.minimumSize)).")
    var size = 64

    @Option(help: "Payload bytes a sender may have in flight to its receiver; 0 for open loop.")
    var window = 1_048_576

    @Option(help: "Worker threads; each owns whole pairs.")
    var threads = 2

    @Option(help: "Bytes a sender batches into one write.")
    var batch = 262_144

    @Option(help: "Seconds the whole run may take.")
    var deadline = 60.0

    @Option(help: "Seconds without any delivery before the run fails.")
    var stall = 3.0

    func validate() throws {
        try subjects.validate(for: wireProtocol)
        guard pairs >= 1, count >= 1, threads >= 1, batch >= 1 else {
            throw ValidationError("--pairs, --count, --threads and --batch must be at least 1")
        }
        guard size >= PayloadStamp.minimumSize else {
            throw ValidationError("--size must be at least \(PayloadStamp.minimumSize): the payload carries its sequence number")
        }
        guard window == 0 || window >= size else { throw ValidationError("--window must be 0 or at least --size") }
        guard deadline > 0, stall > 0 else { throw ValidationError("--deadline and --stall must be positive") }
    }

    func run() throws {
        let settings = ThroughputRun.Settings(
            pairs: pairs,
            count: count,
            size: size,
            window: window,
            threads: min(threads, pairs),
            batchBytes: batch,
            deadline: deadline,
            stall: stall
        )
        let run = ThroughputRun(
            target: try server.target(wireProtocol, natsLayout: subjects.layout),
            settings: settings,
            progress: server.progress,
            serverStats: server.serverStats
        )
        try server.finish(try run.run())
    }
}
