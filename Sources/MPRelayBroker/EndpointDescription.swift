import Crypto
import MPRelayConfig

/// What a connection needs to know about the endpoint that accepted it, as it was at accept time.
struct EndpointDescription: Sendable {
    /// The address as configured: the key that identifies the endpoint across reloads.
    let configuredAddress: EndpointAddress
    /// The address as bound (with the real port for port 0).
    let address: EndpointAddress
    /// The keys a client may prove, in order.
    let keys: [SymmetricKey]

    init(_ configured: EndpointConfig, boundAddress: EndpointAddress) {
        self.configuredAddress = configured.address
        self.address = boundAddress
        self.keys = [SymmetricKey(data: configured.authkey.bytes)]
    }

    /// Whether `configured` still accepts the key at `index` of these keys.
    func stillAccepts(keyAt index: Int, in configured: EndpointConfig) -> Bool {
        keys[index].withUnsafeBytes { Array($0) } == configured.authkey.bytes
    }
}
