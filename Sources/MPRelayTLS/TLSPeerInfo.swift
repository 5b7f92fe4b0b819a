/// What a finished TLS handshake agreed on, for the control socket, logs and access rules.
public struct TLSPeerInfo: Sendable, Equatable {
    /// The protocol version, as OpenSSL names it: `TLSv1.3`.
    public let version: String
    /// The cipher suite, as OpenSSL names it: `TLS_AES_256_GCM_SHA384`.
    public let cipher: String
    /// The peer certificate's subject in RFC 2253 form (`CN=worker-1,O=Example`); nil when the
    /// peer presented none.
    public let subject: String?
    /// The certificate's subjectAltName entries, each with its kind: `DNS:worker-1.example`,
    /// `email:ops@example.com`, `URI:spiffe://example/worker`.
    public let alternativeNames: [String]
}
