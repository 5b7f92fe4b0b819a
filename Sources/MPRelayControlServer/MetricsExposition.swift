import Foundation
import MPRelayBroker
import MPRelayControl
import MPRelayProtocol
import MPRelayTLS
import Prometheus

/// The daemon's counters and gauges in the Prometheus text exposition format.
///
/// The broker keeps its own atomics (its hot path adds to them once per read batch), so a scrape
/// copies them into a fresh swift-prometheus registry and lets it write the exposition: names,
/// HELP and TYPE lines, label escaping. Every ERROR code is listed, at 0 until it is sent. The
/// `mprelay_cluster_*` families appear only on a cluster node (a status with a cluster report).
enum MetricsExposition {
    /// The exposition for one moment of the daemon.
    static func render(status: StatusReport, peers: [PeerSnapshot], controlClients: Int, logLinesDropped: Int) -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ value: Int, labels: [(String, String)] = []) {
            let descriptor = MetricNameDescriptor(namespace: "mprelay", metricName: name, unitName: "total", helpText: help)
            registry.makeCounter(descriptor: descriptor, labels: labels).increment(by: Int64(value))
        }
        func gauge(_ name: String, unit: String = "", _ help: String, _ value: Double, labels: [(String, String)] = []) {
            let descriptor = MetricNameDescriptor(namespace: "mprelay", metricName: name, unitName: unit, helpText: help)
            registry.makeGauge(descriptor: descriptor, labels: labels).set(to: value)
        }
        let totals = status.totals
        counter("messages_relayed", "SEND envelopes relayed to their receiver.", totals.messagesRelayed)
        counter("bytes_relayed", "Payload bytes of the messages relayed.", totals.bytesRelayed)
        counter("auth_failures", "Handshakes that failed authentication.", totals.authFailures)
        counter("connections_accepted", "Connections accepted on the relay endpoints.", totals.connectionsAccepted)
        counter("connections_refused", "Connections closed at accept by max_connections or max_handshakes.", totals.connectionsRefused)
        counter("log_lines_dropped", "Log lines dropped because the log output (stderr or the journal) did not keep up.", logLinesDropped)
        let sent = Dictionary(uniqueKeysWithValues: totals.errors.map { ($0.code, $0.count) })
        for code in RelayErrorCode.allCases {
            let labels = [("code", String(code.rawValue)), ("name", code.description)]
            counter("errors", "ERROR envelopes sent, by code.", sent[Int(code.rawValue)] ?? 0, labels: labels)
        }
        counter("tls_handshakes", "TLS handshakes completed on TLS endpoints.", totals.tlsHandshakes)
        for reason in TLSHandshakeFailure.allCases {
            counter("tls_failures", "TLS handshakes failed, by reason.", totals.tlsFailures[reason.rawValue] ?? 0, labels: [("reason", reason.rawValue)])
        }
        gauge("connections", "Connections open, handshaking or registered.", Double(status.connections))
        gauge("peers", "Registered peers.", Double(status.peers))
        gauge("handshakes_in_progress", "Handshakes in progress.", Double(status.handshakesInProgress))
        let queuedFrames = peers.reduce(0) { $0 + $1.queuedFrames }
        let queuedBytes = peers.reduce(0) { $0 + $1.queuedBytes }
        gauge("outbound_queued_messages", "Frames waiting in the outbound queues of all peers.", Double(queuedFrames))
        gauge("outbound_queued", unit: "bytes", "Bytes waiting in the outbound queues of all peers.", Double(queuedBytes))
        let listening = status.endpoints.count { $0.state == .listening }
        gauge("endpoints_listening", "Configured endpoints that are accepting connections.", Double(listening))
        gauge("control_clients", "Clients connected to the control socket; over it, the asking one included.", Double(controlClients))
        gauge("uptime", unit: "seconds", "Seconds since the daemon started.", status.uptimeSeconds)
        gauge("build_info", "Always 1; the label carries the mprelay version.", 1, labels: [("version", status.version)])
        if let cluster = status.cluster {
            counter("cluster_frames_sent", "Frames published to other nodes of the cluster.", cluster.framesSent)
            counter("cluster_frames_received", "Frames received from other nodes of the cluster that decoded.", cluster.framesReceived)
            counter("cluster_frame_errors", "Cross-node frames that did not decode or could not be published.", cluster.frameErrors)
            counter("cluster_nats_reconnects", "Times the NATS connection was re-established after a loss.", cluster.natsReconnects)
            gauge("cluster_nodes", "Other nodes of the cluster whose lease is current.", Double(cluster.nodes.count))
            gauge("cluster_remote_peers", "Names registered on the other nodes of the cluster.", Double(cluster.remotePeers))
            gauge("cluster_nats_connected", "1 while a NATS server is connected, else 0.", cluster.natsConnected ? 1 : 0)
        }
        return sorted(registry.emitToString())
    }

    /// The exposition with its families sorted by name and their samples by label values (numbers
    /// as numbers): swift-prometheus writes them in hash order, and two scrapes should diff.
    static func sorted(_ exposition: String) -> String {
        var families: [(name: Substring, lines: [Substring])] = []
        var previous: Substring = ""
        for line in exposition.split(separator: "\n") {
            let startsFamily = line.hasPrefix("# HELP ") || (line.hasPrefix("# TYPE ") && !previous.hasPrefix("# HELP "))
            if startsFamily || families.isEmpty {
                // "# HELP name text" and "# TYPE name type": the name is the third word.
                let name = line.split(separator: " ", maxSplits: 3).dropFirst(2).first ?? line
                families.append((name, [line]))
            } else {
                families[families.count - 1].lines.append(line)
            }
            previous = line
        }
        return families.sorted { $0.name < $1.name }.map { family in
            let comments = family.lines.prefix { $0.hasPrefix("#") }
            let samples = family.lines.dropFirst(comments.count).sorted {
                String($0).compare(String($1), options: .numeric) == .orderedAscending
            }
            return (comments + samples).map { $0 + "\n" }.joined()
        }.joined()
    }
}
