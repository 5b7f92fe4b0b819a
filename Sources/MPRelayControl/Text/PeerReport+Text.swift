extension PeerList {
    /// The list as `mprelayctl peers` prints it: one row per peer, or a sentence when empty.
    ///
    /// A cluster-wide list (``remotePeers`` set) has a NODE column after NAME, and its rows are
    /// sorted by name across nodes; a remote peer's row has only its name and node.
    public var humanText: String {
        guard let remotePeers, let node else { return localText }
        guard !peers.isEmpty || !remotePeers.isEmpty else { return "no peers registered in the cluster\n" }
        var table = TextTable([Self.columns[0], .init("NODE")] + Self.columns.dropFirst())
        let local = peers.map { peer in (peer.name, [peer.name, node] + Self.cells(peer).dropFirst()) }
        let remote = remotePeers.map { peer in (peer.name, [peer.name, peer.node]) }
        for (_, row) in (local + remote).sorted(by: { $0.0 < $1.0 }) { table.append(row) }
        return table.render()
    }

    private var localText: String {
        guard !peers.isEmpty else { return "no peers registered\n" }
        var table = TextTable(Self.columns)
        for peer in peers { table.append(Self.cells(peer)) }
        return table.render()
    }

    private static let columns: [TextTable.Column] = [
        .init("NAME"), .init("CONN", .right), .init("ENDPOINT"), .init("REMOTE"), .init("DIGEST"), .init("TLS"),
        .init("CONNECTED", .right), .init("MSGS IN", .right), .init("BYTES IN", .right),
        .init("MSGS OUT", .right), .init("BYTES OUT", .right), .init("QUEUED", .right), .init("QUEUED BYTES", .right),
    ]

    /// A local peer's row, one cell per column of ``columns``.
    private static func cells(_ peer: PeerReport) -> [String] {
        [
            peer.name,
            String(peer.connectionID),
            peer.endpoint,
            peer.remote,
            peer.digest,
            peer.tls?.version ?? "-",
            HumanReadable.duration(peer.connectedSeconds),
            HumanReadable.count(peer.messagesIn),
            HumanReadable.bytes(peer.bytesIn),
            HumanReadable.count(peer.messagesOut),
            HumanReadable.bytes(peer.bytesOut),
            HumanReadable.count(peer.queuedMessages),
            HumanReadable.bytes(peer.queuedBytes),
        ]
    }
}

extension PeerReport {
    /// The peer as `mprelayctl peer NAME` prints it: one field per line.
    public var humanText: String {
        TextTable.keyValue([
            ("name", name),
            ("connection", "Connection-\(connectionID)"),
            ("endpoint", endpoint),
            ("remote", remote),
            ("digest", digest),
            ("connected since", "\(HumanReadable.utcTime(connectedSince)) (\(HumanReadable.duration(connectedSeconds)) ago)"),
            ("messages in", "\(HumanReadable.count(messagesIn)) (\(HumanReadable.bytes(bytesIn)))"),
            ("messages out", "\(HumanReadable.count(messagesOut)) (\(HumanReadable.bytes(bytesOut)))"),
            ("queued now", "\(HumanReadable.count(queuedMessages)) (\(HumanReadable.bytes(queuedBytes)))"),
            ("tls", tls.map { "\($0.version), \($0.cipher)" } ?? "none"),
            ("client cert", tls?.clientSubject ?? "none"),
        ])
    }
}
