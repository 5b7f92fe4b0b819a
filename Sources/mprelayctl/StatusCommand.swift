import ArgumentParser
import MPRelayControl

/// `mprelayctl status`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the daemon's version, uptime, endpoints, counts and totals.",
        discussion: """
            Prints mprelayd's version, pid and uptime; the configuration file it runs on and its \
            log level; how many connections are open, how many peers are registered and how many \
            handshakes are in progress; what it has relayed (messages and payload bytes), how \
            many handshakes failed authentication, how many connections it accepted and refused, \
            and the ERROR envelopes it sent by code; on a node of a cluster, the cluster's name, \
            this node's id, the NATS server it is connected to (or "disconnected, last ..."), the \
            other nodes it sees, the peers registered on them and the cross-node traffic; then \
            each configured endpoint with the address it is bound to, its state and its peers.

            Examples:
              mprelayctl status
              mprelayctl status --watch 1
              mprelayctl status --json | jq .result.totals.messages_relayed
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var watch: WatchOption

    func run() throws {
        try ControlCall<StatusReport>(options: connection, request: .status, render: \.humanText).run(watch: watch.watch)
    }
}
