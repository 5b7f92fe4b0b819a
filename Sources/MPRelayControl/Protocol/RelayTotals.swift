/// Counters since the daemon started, in a ``StatusReport``.
public struct RelayTotals: Codable, Equatable, Sendable {
    /// SEND envelopes relayed to their receiver.
    public var messagesRelayed: Int
    /// Payload bytes of those messages.
    public var bytesRelayed: Int
    /// Handshakes that failed authentication.
    public var authFailures: Int
    /// Connections accepted on the relay endpoints.
    public var connectionsAccepted: Int
    /// Connections closed at accept because of `max_connections` or `max_handshakes`.
    public var connectionsRefused: Int
    /// ERROR envelopes sent, by code, in code order.
    public var errors: [ErrorCount]
    /// TLS handshakes completed.
    public var tlsHandshakes: Int
    /// TLS handshakes failed, by reason (`not_tls`, `protocol_version`, `peer_certificate`, ...).
    public var tlsFailures: [String: Int]

    /// Creates totals.
    public init(
        messagesRelayed: Int,
        bytesRelayed: Int,
        authFailures: Int,
        connectionsAccepted: Int,
        connectionsRefused: Int,
        errors: [ErrorCount],
        tlsHandshakes: Int = 0,
        tlsFailures: [String: Int] = [:]
    ) {
        self.messagesRelayed = messagesRelayed
        self.bytesRelayed = bytesRelayed
        self.authFailures = authFailures
        self.connectionsAccepted = connectionsAccepted
        self.connectionsRefused = connectionsRefused
        self.errors = errors
        self.tlsHandshakes = tlsHandshakes
        self.tlsFailures = tlsFailures
    }

    enum CodingKeys: String, CodingKey {
        case messagesRelayed = "messages_relayed"
        case bytesRelayed = "bytes_relayed"
        case authFailures = "auth_failures"
        case connectionsAccepted = "connections_accepted"
        case connectionsRefused = "connections_refused"
        case errors
        case tlsHandshakes = "tls_handshakes"
        case tlsFailures = "tls_failures"
    }
}

/// How many ERROR envelopes of one code the daemon has sent.
public struct ErrorCount: Codable, Equatable, Sendable {
    /// The numeric code of docs/PROTOCOL.md, e.g. 11.
    public var code: Int
    /// Its name, e.g. `kicked`.
    public var name: String
    /// ERROR envelopes sent with it.
    public var count: Int

    /// Creates a count.
    public init(code: Int, name: String, count: Int) {
        self.code = code
        self.name = name
        self.count = count
    }
}
