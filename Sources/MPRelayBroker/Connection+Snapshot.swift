import MPRelayCommon
import MPRelayCore
import MPRelayProtocol
import Synchronization

extension Connection {
    /// The peer as the control socket shows it, read without entering the connection's queue;
    /// nil until it registers.
    var snapshot: PeerSnapshot? {
        guard let identity = meters.identity else { return nil }
        let queue = outbound.withLock { ($0.totalFrames, $0.totalBytes, $0.queuedFrames, $0.queuedBytes) }
        return PeerSnapshot(
            name: identity.name.description,
            connectionID: id,
            endpoint: endpoint.address.description,
            remote: remote,
            connectedSince: identity.registeredAt,
            digest: identity.digest,
            messagesIn: meters.messagesIn.load(ordering: .relaxed),
            bytesIn: meters.bytesIn.load(ordering: .relaxed),
            messagesOut: queue.0,
            bytesOut: queue.1,
            queuedFrames: queue.2,
            queuedBytes: queue.3,
            tls: identity.tls
        )
    }
}
