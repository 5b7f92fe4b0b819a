import Glibc
import MPRelayConfig
import MPRelayProtocol

/// The server a run measures, and how to open connections to it.
struct BenchTarget: Sendable, CustomStringConvertible {
    let wireProtocol: WireProtocol
    let address: EndpointAddress
    /// The endpoint's authkey; empty for protocols without one.
    let authkey: [UInt8]

    var description: String { "\(wireProtocol.rawValue) at \(address)" }

    /// Opens one link named `name`; a receiving link is routable when this returns.
    func connect(name: PeerName, receiving: Bool) throws(BenchError) -> any MessageLink {
        switch wireProtocol {
        case .mprelay: return try RelayLink(address: address, authkey: authkey, name: name)
        case .nats: return try NATSLink(address: address, subscribeTo: receiving ? name : nil)
        }
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
