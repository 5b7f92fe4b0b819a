import ArgumentParser
import Glibc

/// `mprelay-bench`: load generator for mprelayd, like `redis-benchmark` or `nats bench`.
@main
struct MPRelayBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mprelay-bench",
        abstract: "Measure an mprelayd (or, for comparison, a nats-server) on this machine.",
        discussion: """
            Each workload prints progress on stderr and a summary table on stdout (--json: one JSON \
            object). A run exits 1 if any message was lost, duplicated, reordered or corrupted, or a \
            deadline passed. Every loop is bounded by a message count and a deadline.
            """,
        subcommands: [
            ThroughputCommand.self,
            LatencyCommand.self,
            FanInCommand.self,
            ConnectionsCommand.self,
            HandshakesCommand.self,
            InterestCommand.self,
            ClaimsCommand.self,
        ]
    )

    static func main() {
        // A server that goes away must fail the write, not kill the benchmark.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
