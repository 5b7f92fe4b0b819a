extension ClusterReport {
    /// The cluster section of `mprelayctl status`: one field per line, values lined up.
    public var humanText: String {
        let nats = natsConnected ? natsServer : "disconnected, last \(natsServer)"
        return TextTable.keyValue([
            ("cluster", name),
            ("node", node),
            ("nats server", nats),
            ("other nodes", nodes.isEmpty ? "none" : nodes.joined(separator: ", ")),
            ("remote peers", HumanReadable.count(remotePeers)),
            ("cross-node frames", "\(HumanReadable.count(framesSent)) sent, \(HumanReadable.count(framesReceived)) received, \(HumanReadable.count(frameErrors)) errors"),
            ("nats reconnects", HumanReadable.count(natsReconnects)),
        ])
    }
}
