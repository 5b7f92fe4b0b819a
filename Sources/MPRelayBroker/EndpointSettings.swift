public import MPRelayCommon
public import MPRelayProtocol
public import MPRelayTLS

/// One endpoint as the broker serves it: where it listens, who may connect, and how.
public struct EndpointSettings: Sendable {
    /// The address as configured: the key that identifies the endpoint across reloads.
    public var address: EndpointAddress
    /// The permission bits of an AF_UNIX socket file.
    public var mode: UInt32
    /// The principals that may connect, in order: a key proven picks the first that holds it.
    public var principals: [EndpointPrincipal]
    /// The digests the handshake accepts here.
    public var policy: HandshakePolicy
    /// Where the certificate and key are, for TLS on TCP; nil for plain TCP and AF_UNIX.
    public var tls: TLSServerFiles?

    /// An endpoint with every part given.
    public init(address: EndpointAddress, mode: UInt32, principals: [EndpointPrincipal], policy: HandshakePolicy, tls: TLSServerFiles? = nil) {
        self.address = address
        self.mode = mode
        self.principals = principals
        self.policy = policy
        self.tls = tls
    }
}
