import MPRelayBroker
import MPRelayControl
import MPRelayTLS

extension PeerReport {
    /// The report for a broker's peer snapshot, with its age at `now` (seconds since the epoch).
    init(_ peer: PeerSnapshot, now: Double) {
        self.init(
            name: peer.name,
            connectionID: peer.connectionID,
            endpoint: peer.endpoint,
            remote: peer.remote,
            connectedSince: peer.connectedSince,
            connectedSeconds: max(0, now - peer.connectedSince),
            digest: peer.digest,
            messagesIn: peer.messagesIn,
            bytesIn: peer.bytesIn,
            messagesOut: peer.messagesOut,
            bytesOut: peer.bytesOut,
            queuedMessages: peer.queuedFrames,
            queuedBytes: peer.queuedBytes,
            tls: peer.tls.map { TLSReport(version: $0.version, cipher: $0.cipher, clientSubject: $0.subject) }
        )
    }
}
