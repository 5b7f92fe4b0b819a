import ArgumentParser

/// `mprelay-bench fanin`: many senders, one receiver, nothing lost under the queue bound.
struct FanInCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanin",
        abstract: "Many senders to one receiver: checks that nothing is lost while the receiver's queue bound holds.",
        discussion: """
            Each of --senders peers sends --count messages to one receiver, --batch at a time, then a \
            PING; the PONG comes after every ERROR for that batch. A SEND refused with "peer busy" (the \
            receiver's queue is at max_outbound_bytes) is counted and sent again after a short backoff, \
            so the receiver must end up with every message exactly once, each stamped with the right \
            sender's name. Retried messages arrive after later ones: that is counted, not a failure. \
            With --pid, the daemon's resident memory is sampled during the run.
            """
    )

    @OptionGroup var server: ServerOptions

    @Option(help: "Sending peers, each on its own thread.")
    var senders = 64

    @Option(help: "Messages each sender sends.")
    var count = 5_000

    @Option(help: "Payload bytes per message (at least \(PayloadStamp.minimumSize)).")
    var size = 64

    @Option(help: "Messages a sender writes before it waits for the broker's verdict on them.")
    var batch = 256

    @Option(help: "Seconds the whole run may take.")
    var deadline = 120.0

    @Option(help: "Seconds without any delivery before the run fails.")
    var stall = 10.0

    func validate() throws {
        guard senders >= 1, count >= 1, batch >= 1 else { throw ValidationError("--senders, --count and --batch must be at least 1") }
        guard size >= PayloadStamp.minimumSize else {
            throw ValidationError("--size must be at least \(PayloadStamp.minimumSize): the payload carries its sequence number")
        }
        guard deadline > 0, stall > 0 else { throw ValidationError("--deadline and --stall must be positive") }
    }

    func run() throws {
        let run = FanInRun(
            target: try server.target(),
            senders: senders,
            count: count,
            size: size,
            batch: batch,
            deadline: deadline,
            stall: stall,
            progress: server.progress,
            serverStats: server.serverStats
        )
        try server.finish(try run.run())
    }
}
