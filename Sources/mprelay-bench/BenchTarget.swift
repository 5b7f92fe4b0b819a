import Glibc
import MPRelayClient
import MPRelayCommon
import MPRelayProtocol
import MPRelayTLS

/// The server a run measures, and how to open connections to it.
struct BenchTarget: Sendable, CustomStringConvertible {
    let wireProtocol: WireProtocol
    let address: EndpointAddress
    /// Where receiving links connect: ``address`` but in a cross-node run.
    let receiverAddress: EndpointAddress
    /// The endpoint's authkey; empty for protocols without one.
    let authkey: [UInt8]
    /// For a TLS server, the client context and the name its certificate must carry.
    let tls: (context: TLSContext, serverName: String)?
    /// For NATS, the subjects a name maps onto (`--subscriptions`, `--subjects`).
    var natsLayout = NATSSubjectLayout.single

    /// Whether senders and receivers connect to different servers.
    var isCrossNode: Bool { receiverAddress != address }

    var description: String {
        isCrossNode ? "\(wireProtocol.rawValue) from \(address) to \(receiverAddress)" : "\(wireProtocol.rawValue) at \(address)"
    }

    /// Which of the two addresses a link connects to.
    enum Side {
        /// ``address``: senders, and the first peer of a ping-pong.
        case sending
        /// ``receiverAddress``: receivers, and the second peer of a ping-pong.
        case receiving
    }

    /// Opens one link named `name` on `side`, subscribed when `receiving`; a receiving link is
    /// routable from ``address`` when this returns (in a cross-node run, once the sending side's
    /// node lists it).
    func connect(name: PeerName, receiving: Bool, side: Side) throws(BenchError) -> any MessageLink {
        let at = side == .sending ? address : receiverAddress
        switch wireProtocol {
        case .mprelay: return try RelayLink(target: self, name: name, at: at)
        case .nats: return try NATSLink(address: at, subscribeTo: receiving ? name : nil, layout: natsLayout, tls: tls)
        }
    }

    /// In a cross-node run, waits until messages from `sender` to `name`, the name of
    /// `receiver`, are routed: until the sender's node lists the name (mprelay), or until the
    /// sender's server knows the receiver's subscriptions (NATS). Otherwise returns at once.
    func waitUntilRoutable(from sender: any MessageLink, to receiver: any MessageLink, name: PeerName) throws(BenchError) {
        guard isCrossNode else { return }
        if let relay = sender as? RelayLink { try relay.waitUntilListed([name]) }
        if let publisher = sender as? NATSLink, let subscriber = receiver as? NATSLink {
            try NATSLink.waitForInterest(from: publisher, to: subscriber, name: name)
        }
    }

    /// Connects to `at` (default ``address``), authenticates (inside TLS for a TLS target) and
    /// registers `name`.
    func relayClient(name: PeerName, at: EndpointAddress? = nil) throws(RelayClientError) -> RelayClient {
        try RelayClient(connectingTo: at ?? address, authkey: authkey, name: name, tls: tls?.context, serverName: tls?.serverName)
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
