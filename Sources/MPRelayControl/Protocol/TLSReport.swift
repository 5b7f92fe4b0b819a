/// A TLS peer's session, in a ``PeerReport``.
public struct TLSReport: Codable, Equatable, Sendable {
    /// The protocol version: `TLSv1.3`.
    public var version: String
    /// The cipher suite: `TLS_AES_256_GCM_SHA384`.
    public var cipher: String
    /// The client certificate's subject (RFC 2253), or nil when the client presented none.
    public var clientSubject: String?

    /// Creates a report.
    public init(version: String, cipher: String, clientSubject: String?) {
        self.version = version
        self.cipher = cipher
        self.clientSubject = clientSubject
    }

    enum CodingKeys: String, CodingKey {
        case version
        case cipher
        case clientSubject = "client_subject"
    }
}
