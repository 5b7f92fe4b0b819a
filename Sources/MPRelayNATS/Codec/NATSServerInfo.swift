/// What a server says about itself in `INFO`, the fields a client acts on.
///
/// Unknown fields are ignored; missing ones take the protocol's defaults.
public struct NATSServerInfo: Decodable, Equatable, Sendable {
    /// The server's unique id.
    public var serverID: String
    /// The server's configured name (its id when none was set).
    public var serverName: String
    /// The nats-server version, e.g. `2.9.10`.
    public var version: String
    /// The largest payload the server accepts in one message, in bytes.
    public var maxPayload: Int
    /// Whether the server understands `HPUB` and sends `HMSG`.
    public var headers: Bool
    /// Whether the server requires credentials in `CONNECT`.
    public var authRequired: Bool
    /// Whether JetStream is enabled on the server.
    public var jetStream: Bool
    /// Whether the server requires TLS: the client starts the TLS handshake after this `INFO`.
    public var tlsRequired: Bool
    /// Other client URLs of the cluster, as `host:port`.
    public var connectURLs: [String]

    private enum CodingKeys: String, CodingKey {
        case serverID = "server_id"
        case serverName = "server_name"
        case version
        case maxPayload = "max_payload"
        case headers
        case authRequired = "auth_required"
        case jetStream = "jetstream"
        case tlsRequired = "tls_required"
        case connectURLs = "connect_urls"
    }

    /// Decodes the JSON object of an `INFO` line.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        serverID = try container.decodeIfPresent(String.self, forKey: .serverID) ?? ""
        serverName = try container.decodeIfPresent(String.self, forKey: .serverName) ?? serverID
        version = try container.decodeIfPresent(String.self, forKey: .version) ?? ""
        maxPayload = try container.decodeIfPresent(Int.self, forKey: .maxPayload) ?? NATSParser.defaultMaxPayload
        headers = try container.decodeIfPresent(Bool.self, forKey: .headers) ?? false
        authRequired = try container.decodeIfPresent(Bool.self, forKey: .authRequired) ?? false
        jetStream = try container.decodeIfPresent(Bool.self, forKey: .jetStream) ?? false
        tlsRequired = try container.decodeIfPresent(Bool.self, forKey: .tlsRequired) ?? false
        connectURLs = try container.decodeIfPresent([String].self, forKey: .connectURLs) ?? []
    }
}
