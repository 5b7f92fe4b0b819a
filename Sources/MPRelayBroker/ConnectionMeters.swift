import MPRelayProtocol
import MPRelayTLS
import Synchronization

/// What the control socket may read about a connection without entering its queue: who it is and
/// what it sent. Written by the connection's queue once at registration and once per read batch.
final class ConnectionMeters: Sendable {
    /// Set once the peer registers.
    struct Identity: Sendable {
        let name: PeerName
        let principal: String
        let digest: String
        /// Seconds since the Unix epoch.
        let registeredAt: Double
        /// What its TLS handshake agreed on; nil for plain connections.
        let tls: TLSPeerInfo?
    }

    let messagesIn = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    private let registered = Mutex<Identity?>(nil)

    var identity: Identity? {
        get { registered.withLock { $0 } }
        set { registered.withLock { $0 = newValue } }
    }
}
