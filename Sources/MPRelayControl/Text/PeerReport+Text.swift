extension PeerList {
    /// The list as `mprelayctl peers` prints it: one row per peer, or a sentence when empty.
    public var humanText: String {
        guard !peers.isEmpty else { return "no peers registered\n" }
        var table = TextTable([
            .init("NAME"), .init("CONN", .right), .init("ENDPOINT"), .init("REMOTE"), .init("DIGEST"), .init("TLS"),
            .init("CONNECTED", .right), .init("MSGS IN", .right), .init("BYTES IN", .right),
            .init("MSGS OUT", .right), .init("BYTES OUT", .right), .init("QUEUED", .right), .init("QUEUED BYTES", .right),
        ])
        for peer in peers {
            table.append([
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
            ])
        }
        return table.render()
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
