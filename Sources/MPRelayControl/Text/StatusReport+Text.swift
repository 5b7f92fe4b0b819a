extension StatusReport {
    /// The report as `mprelayctl status` prints it: a summary, on a cluster node the cluster
    /// section, then the endpoints as a table.
    public var humanText: String {
        let errors = totals.errors.isEmpty
            ? "none"
            : totals.errors.map { "\($0.name) (\($0.code)): \(HumanReadable.count($0.count))" }.joined(separator: ", ")
        var text = "mprelayd \(version)  pid \(pid)  up \(HumanReadable.duration(uptimeSeconds))\n"
        text += TextTable.keyValue([
            ("configuration", configuration),
            ("log level", logLevel),
            ("connections", HumanReadable.count(connections)),
            ("peers", HumanReadable.count(peers)),
            ("handshakes in progress", HumanReadable.count(handshakesInProgress)),
            ("messages relayed", "\(HumanReadable.count(totals.messagesRelayed)) (\(HumanReadable.bytes(totals.bytesRelayed)))"),
            ("auth failures", HumanReadable.count(totals.authFailures)),
            ("connections accepted", HumanReadable.count(totals.connectionsAccepted)),
            ("connections refused", HumanReadable.count(totals.connectionsRefused)),
            ("errors sent", errors),
        ])
        var table = TextTable([.init("ENDPOINT"), .init("BOUND"), .init("FAMILY"), .init("STATE"), .init("PEERS", .right)])
        for endpoint in endpoints {
            table.append([endpoint.address, endpoint.boundAddress ?? "-", endpoint.family, endpoint.state.rawValue, HumanReadable.count(endpoint.peers)])
        }
        let cluster = cluster.map { $0.humanText + "\n" } ?? ""
        return text + "\n" + cluster + table.render()
    }
}
