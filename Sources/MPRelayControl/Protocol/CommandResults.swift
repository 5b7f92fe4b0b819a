import MPRelayCommon
/// The result of `peers`: every registered peer, sorted by name; asked with `cluster` on a
/// cluster node, also this node's id and the peers of the other nodes.
public struct PeerList: Codable, Equatable, Sendable {
    /// The peers registered on this daemon.
    public var peers: [PeerReport]
    /// This node's id; nil (left out of the JSON) unless asked with `cluster` on a cluster node.
    public var node: String?
    /// The peers registered on the other nodes, sorted by name; nil (left out of the JSON)
    /// unless asked with `cluster` on a cluster node.
    public var remotePeers: [RemotePeerReport]?

    /// Creates a list; `node` and `remotePeers` only for a cluster-wide one.
    public init(peers: [PeerReport], node: String? = nil, remotePeers: [RemotePeerReport]? = nil) {
        self.peers = peers
        self.node = node
        self.remotePeers = remotePeers
    }

    enum CodingKeys: String, CodingKey {
        case peers
        case node
        case remotePeers = "remote_peers"
    }
}

/// The result of `kick`: the peer was sent ERROR `kicked` and is being disconnected.
public struct KickReport: Codable, Equatable, Sendable {
    /// The peer's name.
    public var name: String
    /// The text of the ERROR frame it was sent.
    public var reason: String

    /// Creates a report.
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
}

/// The result of a `reload` that was applied.
public struct ReloadReport: Codable, Equatable, Sendable {
    /// What changed, e.g. `2 endpoint(s): 1 added, 0 removed, 1 kept`.
    public var summary: String

    /// Creates a report.
    public init(summary: String) { self.summary = summary }
}

/// The result of `log-level`.
public struct LogLevelReport: Codable, Equatable, Sendable {
    /// The level before the change.
    public var previous: String
    /// The level now.
    public var level: String

    /// Creates a report.
    public init(previous: String, level: String) {
        self.previous = previous
        self.level = level
    }
}

/// The result of `metrics`: the Prometheus text exposition format, version 0.0.4.
public struct MetricsReport: Codable, Equatable, Sendable {
    /// The media type a Prometheus server expects for ``text``.
    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// ``prometheusContentType``, so a bridge can serve ``text`` as it is.
    public var contentType: String
    /// The exposition, one metric line per line.
    public var text: String

    /// Creates a report of exposition text.
    public init(text: String) {
        self.contentType = Self.prometheusContentType
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case contentType = "content_type"
        case text
    }
}
