import Glibc
import MPRelayClient
import MPRelayConfig
import MPRelayProtocol
import MPRelayTLS

/// The server a run measures, and how to open connections to it.
struct BenchTarget: Sendable, CustomStringConvertible {
    let wireProtocol: WireProtocol
    let address: EndpointAddress
    /// The endpoint's authkey; empty for protocols without one.
    let authkey: [UInt8]
    /// For a TLS server, the client context and the name its certificate must carry.
    let tls: (context: TLSContext, serverName: String)?

    var description: String { "\(wireProtocol.rawValue) at \(address)" }

    /// Opens one link named `name`; a receiving link is routable when this returns.
    func connect(name: PeerName, receiving: Bool) throws(BenchError) -> any MessageLink {
        switch wireProtocol {
        case .mprelay: return try RelayLink(target: self, name: name)
        case .nats: return try NATSLink(address: address, subscribeTo: receiving ? name : nil, tls: tls)
        }
    }

    /// Connects, authenticates (inside TLS for a TLS target) and registers `name`.
    func relayClient(name: PeerName) throws(RelayClientError) -> RelayClient {
        try RelayClient(connectingTo: address, authkey: authkey, name: name, tls: tls?.context, serverName: tls?.serverName)
    }

    /// A peer name unique to this process: `prefix-PID-suffix`, so runs side by side do not collide.
    static func name(_ prefix: String, _ suffix: String) -> PeerName {
        do {
            return try PeerName("\(prefix)-\(getpid())-\(suffix)")
        } catch {
            preconditionFailure("benchmark peer names are plain ASCII: \(error)")
        }
    }
}
