/// The JSON object of `CONNECT`: who the client is and what it understands.
///
/// The client always asks for headers and no-responders (a request to a subject nobody listens
/// on is answered at once with status 503) and never for `verbose` `+OK`s.
public struct NATSConnectPayload: Encodable, Equatable, Sendable {
    /// The connection's name, as the server's monitoring shows it.
    public var name: String?
    /// User name, with ``password``.
    public var user: String?
    /// Password, with ``user``.
    public var password: String?
    /// Token, instead of user and password.
    public var token: String?
    /// Whether the server should send `+OK` after every operation.
    public var verbose = false
    /// Whether the server should check subjects strictly.
    public var pedantic = false
    /// Whether the client sends and receives header blocks.
    public var headers = true
    /// Whether a request nobody can answer gets status 503 instead of silence.
    public var noResponders = true
    /// Whether the client receives its own publications on subjects it subscribes to.
    public var echo = true
    /// Whether the connection runs in TLS (the server checks that it does).
    public var tlsRequired = false

    /// Creates a payload with the given identity and credentials.
    public init(name: String? = nil, user: String? = nil, password: String? = nil, token: String? = nil) {
        self.name = name
        self.user = user
        self.password = password
        self.token = token
    }

    private enum CodingKeys: String, CodingKey {
        case name, user, password = "pass", token = "auth_token", verbose, pedantic, headers
        case noResponders = "no_responders", echo, tlsRequired = "tls_required", lang, version, protocolVersion = "protocol"
    }

    /// Encodes the fields the server reads; absent credentials are left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(verbose, forKey: .verbose)
        try container.encode(pedantic, forKey: .pedantic)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(user, forKey: .user)
        try container.encodeIfPresent(password, forKey: .password)
        try container.encodeIfPresent(token, forKey: .token)
        try container.encode("swift", forKey: .lang)
        try container.encode("mprelay", forKey: .version)
        try container.encode(1, forKey: .protocolVersion)
        try container.encode(headers, forKey: .headers)
        try container.encode(noResponders, forKey: .noResponders)
        try container.encode(echo, forKey: .echo)
        try container.encode(tlsRequired, forKey: .tlsRequired)
    }
}
