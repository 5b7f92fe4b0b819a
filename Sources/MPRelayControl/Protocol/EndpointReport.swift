/// One configured endpoint in a ``StatusReport``.
public struct EndpointReport: Codable, Equatable, Sendable {
    /// Whether an endpoint accepts connections.
    public enum State: String, Codable, Sendable {
        /// Bound and accepting.
        case listening
        /// Configured but not bound (the daemon is shutting down).
        case stopped
    }

    /// The address as configured, e.g. `127.0.0.1:0`.
    public var address: String
    /// The address as bound, with the real port where the configuration said 0; nil when stopped.
    public var boundAddress: String?
    /// `tcp`, `tcp6`, `unix` (a socket file) or `abstract` (a Linux abstract name).
    public var family: String
    /// Whether it accepts connections.
    public var state: State
    /// Registered peers that connected through it.
    public var peers: Int

    /// Creates a report for one endpoint.
    public init(address: String, boundAddress: String?, family: String, state: State, peers: Int) {
        self.address = address
        self.boundAddress = boundAddress
        self.family = family
        self.state = state
        self.peers = peers
    }

    enum CodingKeys: String, CodingKey {
        case address
        case boundAddress = "bound_address"
        case family
        case state
        case peers
    }
}
