import MPRelayCommon

/// The NATS subjects of one mprelay cluster: every one starts with `mprelay.<cluster>.`, so
/// that clusters sharing a NATS system never see each other's traffic.
public struct ClusterSubjects: Hashable, Sendable {
    /// The cluster's name (`[cluster] name`), a subject token.
    public let cluster: String

    /// The subjects of `cluster`.
    public init(cluster: String) {
        self.cluster = cluster
    }

    /// `mprelay.<cluster>.node.`, the start of every node's subject.
    var nodePrefix: [UInt8] { Array("mprelay.\(cluster).node.".utf8) }

    /// Where frames for the peers of `node` are published (``ClusterFrame``): one subject per
    /// node, which that node alone subscribes to.
    public func node(_ node: String) -> String {
        "mprelay.\(cluster).node.\(node)"
    }

    /// What `node` subscribes to for the deliveries of its own that reached no node: every
    /// ``unreachable(_:)`` subject of its.
    public func unreachableReplies(of node: String) -> String {
        "mprelay.\(cluster).unreachable.\(node).>"
    }

    /// The reply subject a frame of deliveries is published with: when no node subscribes to
    /// the subject it was published to (its node stopped), NATS answers there with status 503,
    /// and the subject says which deliveries they were, for the ERROR each sender gets:
    /// `mprelay.<cluster>.unreachable.<sender node>.<receiver node>.<first>.<last>`.
    public func unreachable(_ run: UndeliveredRun) -> String {
        "mprelay.\(cluster).unreachable.\(run.senderNode).\(run.receiverNode).\(run.sequences.lowerBound).\(run.sequences.upperBound)"
    }

    /// The deliveries an ``unreachable(_:)`` subject names, or nil for any other subject.
    public func undeliveredRun(_ subject: String) -> UndeliveredRun? {
        let prefix = "mprelay.\(cluster).unreachable."
        guard subject.hasPrefix(prefix) else { return nil }
        let tokens = subject.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard tokens.count == 4, ClusterToken.isValid(String(tokens[0])), ClusterToken.isValid(String(tokens[1])),
            let first = UInt64(tokens[2]), let last = UInt64(tokens[3]), first <= last
        else { return nil }
        return UndeliveredRun(senderNode: String(tokens[0]), receiverNode: String(tokens[1]), sequences: first...last)
    }
}
