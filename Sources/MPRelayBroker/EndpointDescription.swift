import Crypto
import MPRelayConfig

/// What a connection needs to know about the endpoint that accepted it.
struct EndpointDescription: Sendable {
    /// The address as bound (with the real port for port 0).
    let address: EndpointAddress
    /// The keys a client may prove, in order.
    let keys: [SymmetricKey]
}
