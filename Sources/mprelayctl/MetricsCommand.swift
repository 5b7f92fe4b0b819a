import ArgumentParser
import MPRelayControl

/// `mprelayctl metrics`.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print counters and gauges in the Prometheus text exposition format.",
        discussion: """
            Counters (mprelay_*_total): messages and payload bytes relayed, authentication \
            failures, connections accepted and refused, and ERROR envelopes sent by code. Gauges: \
            connections, peers, handshakes in progress, outbound queue frames and bytes, \
            endpoints listening, control clients, uptime, and mprelay_build_info with the \
            version. docs/CONTROL.md lists them all. Serve the output with the node exporter's \
            textfile collector, or any HTTP bridge, for Prometheus to scrape.

            Examples:
              mprelayctl metrics
              mprelayctl metrics > /var/lib/node_exporter/mprelay.prom.$$ && \\
                mv /var/lib/node_exporter/mprelay.prom.$$ /var/lib/node_exporter/mprelay.prom
            """
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try ControlCall<MetricsReport>(options: connection, request: .metrics, render: \.text).run()
    }
}
