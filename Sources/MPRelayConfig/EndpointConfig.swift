public import MPRelayCommon
public import MPRelayProtocol
public import MPRelayTLS

/// One `[[endpoint]]` table: an address to listen on and the principals that may connect there.
public struct EndpointConfig: Equatable, Sendable {
    /// Where to listen.
    public var address: EndpointAddress
    /// Who may connect, in order; a client proves one of their keys in the handshake.
    public var principals: [PrincipalConfig]
    /// The permission bits of an AF_UNIX socket file.
    public var mode: UInt32
    /// The weakest handshake digest accepted here (a reply or a challenge); nil accepts all.
    public var minimumDigest: HandshakeDigest?
    /// TLS around every connection of this endpoint; nil: plain TCP. The files are only named
    /// here (the loader checks that they can be read); the daemon loads them when it starts and
    /// on every reload, so a renewed certificate at the same path is picked up by a reload.
    public var tls: TLSServerFiles?

    /// The mode given to socket files when `mode` is not set.
    public static let defaultMode: UInt32 = 0o660

    /// An endpoint whose clients share one key and may do everything.
    public init(address: EndpointAddress, authkey: Authkey, mode: UInt32 = EndpointConfig.defaultMode) {
        self.init(address: address, principals: [.implicit(for: address, key: authkey)], mode: mode)
    }

    /// An endpoint for the given principals.
    public init(
        address: EndpointAddress,
        principals: [PrincipalConfig],
        mode: UInt32 = EndpointConfig.defaultMode,
        minimumDigest: HandshakeDigest? = nil
    ) {
        self.address = address
        self.principals = principals
        self.mode = mode
        self.minimumDigest = minimumDigest
    }

    /// The keys of an `[[endpoint]]` table, for the loader and the docs.
    public static let keys = ["address", "socket", "principals", "authkey_file", "authkey_credential", "authkey", "mode", "min_digest"]
        + tlsKeys

    /// The TLS keys of an `[[endpoint]]` table.
    public static let tlsKeys = ["tls_cert_file", "tls_key_file", "tls_client_ca_file", "tls_min_version"]
}
