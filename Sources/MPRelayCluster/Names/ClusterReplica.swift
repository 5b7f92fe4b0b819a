public import MPRelayNATS
public import MPRelayProtocol

/// This node's copy of the cluster's bucket, fed by a key-value watcher: who holds each name,
/// and which nodes are alive. Pure: the caller passes every entry and the time; the replica
/// answers lookups and says what changed, with no I/O.
///
/// A SEND to a remote name is routed by ``owner(of:)``, a local read. Nodes are judged alive by
/// their `node.<id>` lease, which each node refreshes every `name_lease / 3`; a node not heard
/// from for ``expiryFraction`` of the lease is dead, and ``expire(now:lease:)`` lists its claims
/// for revision-checked deletes (every survivor may try; one wins, the others' deletes fail
/// harmlessly). Nothing relies on key-value `max_age`, whose purges watchers never see.
public struct ClusterReplica: Sendable {
    /// A claim as the bucket holds it: the claim and the revision that wrote it.
    public struct Holder: Equatable, Sendable {
        /// Who holds the name.
        public var claim: NameClaim
        /// The revision of the key, for revision-checked updates and deletes.
        public var revision: UInt64

        /// `claim`, written at `revision`.
        public init(claim: NameClaim, revision: UInt64) {
            self.claim = claim
            self.revision = revision
        }
    }

    /// A key the replica found expired, to delete if its revision is still this one.
    public struct Expired: Equatable, Sendable {
        /// The key.
        public var key: ClusterKey
        /// The revision the delete must check.
        public var revision: UInt64
        /// The node whose claim or lease it is.
        public var node: String

        /// `key` of `node`, to delete at `revision`.
        public init(key: ClusterKey, revision: UInt64, node: String) {
            self.key = key
            self.revision = revision
            self.node = node
        }
    }

    private struct NodeLease {
        var revision: UInt64?
        var lastSeen: ContinuousClock.Instant
        /// The lease was deleted: the node left, and any claim it left behind is due at once.
        var left = false
        var expired = false
    }

    /// The share of `name_lease` after which a silent node is dead: two missed refreshes. With
    /// checks every lease / 6, a dead node's names are deleted within 5/6 of the lease.
    public static let expiryFraction = 2.0 / 3.0

    /// This node's id: its own claims are not remote, and its own lease never expires here.
    public let localNode: String
    private var holders: [PeerName: Holder] = [:]
    private var nodes: [String: NodeLease] = [:]

    /// An empty replica for `localNode`.
    public init(localNode: String) {
        self.localNode = localNode
    }

    /// Who holds `name`, if anyone.
    public func owner(of name: PeerName) -> Holder? {
        holders[name]
    }

    /// The names held on other nodes, sorted by their bytes.
    public var remoteNames: [PeerName] {
        holders.filter { $0.value.claim.node != localNode }.keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    /// The other nodes whose lease is current, sorted.
    public var liveNodes: [String] {
        nodes.filter { $0.key != localNode && !$0.value.expired && !$0.value.left }.keys.sorted()
    }

    /// Takes in one entry of the watch at time `now`.
    ///
    /// - Returns: the presence changes of names held on other nodes: LEFT for a remote holder
    ///   that went away or moved, JOINED for a new remote holder. This node's own names are the
    ///   local registry's to announce.
    public mutating func apply(_ entry: NATSKeyValueEntry, now: ContinuousClock.Instant) -> [PresenceChange] {
        guard let key = ClusterKey(entry.key) else { return [] }
        switch key {
        case .node(let id):
            if entry.operation == .put {
                nodes[id] = NodeLease(revision: entry.revision, lastSeen: now)
            } else {
                // The delete that expiry itself made must not make the node due a second time.
                let expired = nodes[id]?.expired ?? false
                nodes[id] = NodeLease(revision: nil, lastSeen: now, left: true, expired: expired)
            }
            return []
        case .name(let name):
            let before = holders[name]
            if entry.operation == .put, let claim = NameClaim(entry.value) {
                holders[name] = Holder(claim: claim, revision: entry.revision)
                if nodes[claim.node] == nil { nodes[claim.node] = NodeLease(revision: nil, lastSeen: now) }
            } else {
                holders[name] = nil
            }
            return Self.changes(name, from: before?.claim, to: holders[name]?.claim, localNode: localNode)
        }
    }

    private static func changes(_ name: PeerName, from old: NameClaim?, to new: NameClaim?, localNode: String) -> [PresenceChange] {
        guard old != new else { return [] }
        var changes: [PresenceChange] = []
        if let old, old.node != localNode { changes.append(.left(name, node: old.node)) }
        if let new, new.node != localNode { changes.append(.joined(name, node: new.node)) }
        return changes
    }

    /// The keys of nodes not heard from within ``expiryFraction`` of `lease` at `now`, or whose
    /// lease was deleted: every claim of theirs, then their lease key if it still stands. Each node is listed once per death; a new lease
    /// from it brings it back.
    public mutating func expire(now: ContinuousClock.Instant, lease: Duration) -> [Expired] {
        let silence = lease * Self.expiryFraction
        var expired: [Expired] = []
        for (id, node) in nodes.sorted(by: { $0.key < $1.key }) where id != localNode && !node.expired && (node.left || now - node.lastSeen >= silence) {
            nodes[id]?.expired = true
            let claims = holders.filter { $0.value.claim.node == id }.sorted { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }
            expired += claims.map { Expired(key: .name($0.key), revision: $0.value.revision, node: id) }
            if let revision = node.revision { expired.append(Expired(key: .node(id), revision: revision, node: id)) }
        }
        return expired
    }

    /// Lists `node` again on the next ``expire(now:lease:)`` if it is still silent then: a delete
    /// of its keys failed, and must be tried again.
    public mutating func retryExpiry(of node: String) {
        nodes[node]?.expired = false
    }

    /// Counts every node's silence from `now`: after this node was itself cut off from NATS, the
    /// leases it missed meanwhile say nothing about the other nodes, which get a whole expiry
    /// period to be heard from again before their claims are due.
    public mutating func renewLeases(now: ContinuousClock.Instant) {
        for id in nodes.keys where !(nodes[id]?.expired ?? true) {
            nodes[id]?.lastSeen = now
        }
    }

    /// Claims held under this node's id by another incarnation: left by an earlier run that
    /// died, to delete at start.
    public func staleClaims(incarnation: UInt64) -> [Expired] {
        holders.filter { $0.value.claim.node == localNode && $0.value.claim.incarnation != incarnation }
            .sorted { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }
            .map { Expired(key: .name($0.key), revision: $0.value.revision, node: localNode) }
    }
}

/// A name appearing or disappearing on another node, for WATCH subscribers.
public enum PresenceChange: Hashable, Sendable {
    /// `name` registered on `node`: JOINED.
    case joined(PeerName, node: String)
    /// `name`, held on `node`, went away: LEFT.
    case left(PeerName, node: String)
}
