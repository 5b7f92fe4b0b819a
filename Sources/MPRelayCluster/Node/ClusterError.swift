public import MPRelayNATS
public import MPRelayProtocol

/// Why a cluster operation failed, naming the node, name or NATS call at fault.
public struct ClusterError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case unavailable(NATSError)
        case nameTaken(PeerName, NameClaim?)
        case claimLost(PeerName)
        case unacknowledged(limit: Int)
    }

    private let code: Code
    /// The node that met the error.
    public let node: String

    private init(_ code: Code, node: String) {
        self.code = code
        self.node = node
    }

    /// NATS could not be reached or did not answer in time: clients get `cluster unavailable`.
    public static func unavailable(_ error: NATSError, node: String) -> ClusterError {
        ClusterError(.unavailable(error), node: node)
    }

    /// The name is held already, by `holder` when the bucket said who.
    public static func nameTaken(_ name: PeerName, holder: NameClaim?, node: String) -> ClusterError {
        ClusterError(.nameTaken(name, holder), node: node)
    }

    /// The claim changed since this node wrote it: another node replaced or freed it.
    public static func claimLost(_ name: PeerName, node: String) -> ClusterError {
        ClusterError(.claimLost(name), node: node)
    }

    /// The node already holds `limit` deliveries the receiving nodes have not acknowledged
    /// (``OutboundLedger``): more would be unbounded, so the sender gets `cluster unavailable`.
    public static func unacknowledged(limit: Int, node: String) -> ClusterError {
        ClusterError(.unacknowledged(limit: limit), node: node)
    }

    /// Whether this is ``nameTaken(_:holder:node:)``.
    public var isNameTaken: Bool {
        if case .nameTaken = code { return true }
        return false
    }

    /// Whether this is ``unavailable(_:node:)``.
    public var isUnavailable: Bool {
        if case .unavailable = code { return true }
        return false
    }

    /// Whether joining again cannot succeed until the configuration or the NATS servers change
    /// (``NATSError/isPermanent``): every server refused this node's certificate or credentials.
    public var isPermanent: Bool {
        if case .unavailable(let error) = code { return error.isPermanent }
        return false
    }

    public var description: String {
        switch code {
        case .unavailable(let error):
            return "cluster node \(node): NATS unavailable: \(error)"
        case .nameTaken(let name, let holder):
            let by = holder.map { " by connection \($0.connection) on node \($0.node)" } ?? ""
            return "cluster node \(node): the name \(name) is held\(by)"
        case .claimLost(let name):
            return "cluster node \(node): the claim on \(name) changed since this node wrote it"
        case .unacknowledged(let limit):
            return "cluster node \(node): \(limit) cross-node messages already wait for their receiving nodes to acknowledge them (NATS or a node is falling behind)"
        }
    }
}
