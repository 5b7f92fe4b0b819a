/// A peer registered on another node of the cluster, in the result of `peers` with `cluster`.
///
/// Only its name and node: its connection, traffic and queues are the business of its own node
/// (ask that node's control socket).
public struct RemotePeerReport: Codable, Equatable, Sendable {
    /// The registered name.
    public var name: String
    /// The id of the node it is registered on.
    public var node: String

    /// Creates a report for one remote peer.
    public init(name: String, node: String) {
        self.name = name
        self.node = node
    }
}
