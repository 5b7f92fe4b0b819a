/// The NATS subjects of one mprelay cluster: every one starts with `mprelay.<cluster>.`, so
/// that clusters sharing a NATS system never see each other's traffic.
public struct ClusterSubjects: Hashable, Sendable {
    /// The cluster's name (`[cluster] name`), a subject token.
    public let cluster: String

    /// The subjects of `cluster`.
    public init(cluster: String) {
        self.cluster = cluster
    }

    /// Where frames for the peers of `node` are published (``ClusterFrame``): one subject per
    /// node, which that node alone subscribes to.
    public func node(_ node: String) -> String {
        "mprelay.\(cluster).node.\(node)"
    }
}
