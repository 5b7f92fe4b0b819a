import MPRelayControl

/// Reports with known values, for the codec and formatting tests.
enum ControlFixtures {
    static let status = StatusReport(
        version: "0.1.0",
        pid: 4242,
        startedAt: 1_700_000_000,
        uptimeSeconds: 3_725.5,
        configuration: "/etc/mprelay/mprelay.toml",
        logLevel: "info",
        endpoints: [
            EndpointReport(address: "127.0.0.1:0", boundAddress: "127.0.0.1:40211", family: "tcp", state: .listening, peers: 2),
            EndpointReport(address: "/run/mprelay/mprelay.sock", boundAddress: nil, family: "unix", state: .stopped, peers: 0),
        ],
        connections: 3,
        peers: 2,
        handshakesInProgress: 1,
        totals: RelayTotals(
            messagesRelayed: 1_234_567,
            bytesRelayed: 1_610_612_736,
            authFailures: 2,
            connectionsAccepted: 12,
            connectionsRefused: 0,
            errors: [ErrorCount(code: 11, name: "kicked", count: 1), ErrorCount(code: 1, name: "unknown peer", count: 3)]
        )
    )

    /// A node of a three-node cluster, connected to NATS, that has relayed across nodes.
    static let cluster = ClusterReport(
        name: "prod", node: "node-a", natsServer: "nats://10.0.0.5:4222", natsConnected: true,
        nodes: ["node-b", "node-c"], remotePeers: 3, framesSent: 12_345, framesReceived: 678,
        frameErrors: 2, natsReconnects: 1
    )

    /// ``status`` on the node ``cluster`` describes.
    static var clusterStatus: StatusReport {
        var status = status
        status.cluster = cluster
        return status
    }

    static func peer(_ name: String, connection: Int = 7, queuedBytes: Int = 0) -> PeerReport {
        PeerReport(
            name: name, connectionID: connection, endpoint: "127.0.0.1:40211", remote: "127.0.0.1:51234",
            connectedSince: 0, connectedSeconds: 192, digest: "sha256", messagesIn: 20, bytesIn: 1_300,
            messagesOut: 1_500, bytesOut: 2_097_152, queuedMessages: 0, queuedBytes: queuedBytes
        )
    }
}
