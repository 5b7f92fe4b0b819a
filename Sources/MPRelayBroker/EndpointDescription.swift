import Crypto
import MPRelayCommon
import MPRelayCore
import MPRelayPOSIX
import MPRelayProtocol
import MPRelayTLS

/// What a connection needs to know about the endpoint that accepted it, as it was at accept time.
struct EndpointDescription: Sendable {
    /// The address as configured: the key that identifies the endpoint across reloads.
    let configuredAddress: EndpointAddress
    /// The address as bound (with the real port for port 0).
    let address: EndpointAddress
    /// The principals that may connect, in order.
    let principals: [EndpointPrincipal]
    /// Every principal's keys, flattened, for the handshake.
    let keys: [SymmetricKey]
    /// For each entry of ``keys``, the index of its principal.
    private let principalOfKey: [Int]
    /// The digests the handshake accepts here.
    let policy: HandshakePolicy
    /// The certificates new connections are offered, loaded when this description was made; nil
    /// for plain TCP and AF_UNIX.
    let tls: TLSContext?

    /// Describes `settings` as bound at `boundAddress`, loading its TLS certificate and key.
    ///
    /// - Throws: ``SocketError`` naming the endpoint and the file that did not load.
    init(_ settings: EndpointSettings, boundAddress: EndpointAddress) throws(SocketError) {
        if let files = settings.tls {
            do {
                tls = try files.makeContext()
            } catch {
                throw SocketError("set up TLS for", target: settings.address.description, errno: 0, detail: error.description)
            }
        } else {
            tls = nil
        }
        self.configuredAddress = settings.address
        self.address = boundAddress
        self.principals = settings.principals
        var keys: [SymmetricKey] = []
        var owners: [Int] = []
        for (index, principal) in settings.principals.enumerated() {
            for key in principal.keys {
                keys.append(SymmetricKey(data: key))
                owners.append(index)
            }
        }
        self.keys = keys
        self.principalOfKey = owners
        self.policy = settings.policy
    }

    /// The principal whose key is at `keyIndex` of ``keys``.
    func principal(ofKey keyIndex: Int) -> EndpointPrincipal {
        principals[principalOfKey[keyIndex]]
    }

    /// The principal a reloaded endpoint grants to a client that proved the key at `keyIndex`:
    /// the principal of the same name if it still lists that key, else nil.
    func principal(ofKey keyIndex: Int, in principals: [EndpointPrincipal]) -> EndpointPrincipal? {
        let current = principal(ofKey: keyIndex)
        let proven = keys[keyIndex].withUnsafeBytes { Array($0) }
        return principals.first { $0.rules.name == current.rules.name && $0.keys.contains { $0 == proven } }
    }
}
