/// The result of `status`: what the daemon is, where it listens, and what it has done.
public struct StatusReport: Codable, Equatable, Sendable {
    /// The mprelay version of the daemon.
    public var version: String
    /// The daemon's process id.
    public var pid: Int
    /// When the daemon started, in seconds since the Unix epoch.
    public var startedAt: Double
    /// Seconds since the daemon started.
    public var uptimeSeconds: Double
    /// The configuration file, or `<embedded default>`.
    public var configuration: String
    /// The level logged now.
    public var logLevel: String
    /// Every configured endpoint, in configuration order.
    public var endpoints: [EndpointReport]
    /// Connections open: handshaking or registered.
    public var connections: Int
    /// Registered peers.
    public var peers: Int
    /// Handshakes in progress.
    public var handshakesInProgress: Int
    /// Counters since the daemon started.
    public var totals: RelayTotals
    /// The cluster this daemon is a node of; nil (left out of the JSON) without `[cluster]`.
    public var cluster: ClusterReport?

    /// Creates a report; the daemon builds it from the broker.
    public init(
        version: String,
        pid: Int,
        startedAt: Double,
        uptimeSeconds: Double,
        configuration: String,
        logLevel: String,
        endpoints: [EndpointReport],
        connections: Int,
        peers: Int,
        handshakesInProgress: Int,
        totals: RelayTotals,
        cluster: ClusterReport? = nil
    ) {
        self.version = version
        self.pid = pid
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.configuration = configuration
        self.logLevel = logLevel
        self.endpoints = endpoints
        self.connections = connections
        self.peers = peers
        self.handshakesInProgress = handshakesInProgress
        self.totals = totals
        self.cluster = cluster
    }

    enum CodingKeys: String, CodingKey {
        case version
        case pid
        case startedAt = "started_at"
        case uptimeSeconds = "uptime_seconds"
        case configuration
        case logLevel = "log_level"
        case endpoints
        case connections
        case peers
        case handshakesInProgress = "handshakes_in_progress"
        case totals
        case cluster
    }
}
