public import Dispatch
public import MPRelayTLS

/// How a ``NATSConnection`` connects, checks the server is alive and reconnects.
public struct NATSConnectionOptions: Sendable {
    /// How the client proves who it is.
    public enum Credentials: Equatable, Sendable {
        /// No credentials.
        case none
        /// A user name and password.
        case userPassword(user: String, password: String)
        /// A token.
        case token(String)
    }

    /// The servers, tried in order; a reconnect starts with the one after the lost server.
    public var servers: [NATSServerAddress]
    /// The credentials sent in `CONNECT`.
    public var credentials: Credentials = .none
    /// A client ``TLSContext`` trusting the CA of the servers' certificates: TLS with every
    /// server, and a server that does not offer it (`tls_required` in its `INFO`) is refused.
    /// Nil: plain TCP, and a server that requires TLS, or a `tls://` URL, is refused.
    public var tls: TLSContext?
    /// The name the servers' certificates must carry; nil: the host of each server's URL.
    public var tlsServerName: String?
    /// The connection's name, as the server's monitoring shows it.
    public var name: String?
    /// How long one TCP connect and handshake may take.
    public var connectTimeout: Duration = .seconds(2)
    /// How long one write may block before the connection counts as lost.
    public var writeTimeout: Duration = .seconds(5)
    /// After this long without a byte from the server, the client sends `PING`.
    public var pingInterval: Duration = .seconds(20)
    /// After this many `PING`s without any `PONG`, the connection counts as lost.
    public var maxOutstandingPings = 2
    /// The pause after every server of the list failed once, before the next round.
    public var reconnectWait: Duration = .milliseconds(250)
    /// Rounds through the server list before the connection gives up and closes; nil: never.
    public var maxReconnectRounds: Int? = nil
    /// The bytes of publications held while no server is up; over it, publishing fails with
    /// ``NATSError/pendingBufferFull(limit:)``.
    public var maxPendingBytes = 8 * 1024 * 1024
    /// Called with every ``NATSConnectionEvent``, on ``eventQueue``.
    public var onEvent: (@Sendable (NATSConnectionEvent) -> Void)?
    /// Where ``onEvent`` runs.
    public var eventQueue = DispatchQueue(label: "mprelay.nats.events")

    /// Options for the given servers, with defaults for everything else.
    public init(servers: [NATSServerAddress]) {
        precondition(!servers.isEmpty, "a NATS connection needs at least one server")
        self.servers = servers
    }

    /// Parses each `nats://host:port` URL of `urls`.
    ///
    /// - Throws: ``NATSError/invalidURL(_:)``.
    public init(urls: [String]) throws(NATSError) {
        var servers: [NATSServerAddress] = []
        for url in urls { servers.append(try NATSServerAddress(url)) }
        guard !servers.isEmpty else { throw .invalidURL("") }
        self.init(servers: servers)
    }

    /// The `CONNECT` payload these options send, inside TLS or not.
    func connectPayload(tls: Bool) -> NATSConnectPayload {
        var payload: NATSConnectPayload
        switch credentials {
        case .none: payload = NATSConnectPayload(name: name)
        case .userPassword(let user, let password): payload = NATSConnectPayload(name: name, user: user, password: password)
        case .token(let token): payload = NATSConnectPayload(name: name, token: token)
        }
        payload.tlsRequired = tls
        return payload
    }
}

extension Duration {
    /// The duration in whole milliseconds, at least 1.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
