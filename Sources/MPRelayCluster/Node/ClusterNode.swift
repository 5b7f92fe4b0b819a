import Dispatch
public import MPRelayNATS
public import MPRelayProtocol
import Synchronization

/// This mprelayd's membership of a cluster: its NATS connection, its name claims in the
/// cluster's bucket, the replica of that bucket, its lease, and its subject.
///
/// ``start(_:handlers:)`` connects, binds the bucket `mprelay_<cluster>` (created with three
/// replicas, or one per listed server when fewer are listed), reads every claim through a watch,
/// deletes the claims an earlier run of this node left, writes the node's lease and subscribes to
/// the node's subject. From then on the lease is refreshed every `name_lease / 3`, and every
/// `name_lease / 6` the claims of nodes silent past their lease are deleted (docs/CLUSTER.md).
/// Claims and releases block the calling thread for at most `nats_timeout`; lookups are reads of
/// the replica, in memory.
public final class ClusterNode: Sendable {
    /// What this node runs with.
    public let settings: ClusterNodeSettings
    /// This run's incarnation, written in every claim and in the lease.
    public let incarnation: UInt64
    let connection: NATSConnection
    private let bucket: NATSKeyValue
    let subjects: ClusterSubjects
    private let replica: Mutex<ClusterReplica>
    let handlers: ClusterNodeHandlers
    /// Where watch entries and frames are handled and reported, in order.
    private let queue: DispatchQueue
    /// Where the lease is refreshed and expired claims deleted: blocking bucket calls, kept off
    /// ``queue``.
    private let leaseQueue: DispatchQueue
    private let watcher = Mutex<NATSKeyValueWatcher?>(nil)
    private let subscriptions = Mutex<[NATSSubscription]>([])
    private let stopped = Atomic<Bool>(false)
    /// A lease turn found NATS unreachable: the next turn that finds it back renews every lease.
    private let wasCutOff = Atomic<Bool>(false)
    let meters: ClusterMeters
    /// The revisions of this node's claims it is releasing itself: their deletes are no loss.
    private let releasing = Mutex<Set<UInt64>>([])
    /// The numbered deliveries to and from the other nodes.
    let links: DeliveryLinks

    private init(settings: ClusterNodeSettings, handlers: ClusterNodeHandlers) throws(NATSError) {
        self.settings = settings
        self.handlers = handlers
        let incarnation = UInt64.random(in: 1...UInt64.max)
        self.incarnation = incarnation
        let subjects = ClusterSubjects(cluster: settings.name)
        self.subjects = subjects
        replica = Mutex(ClusterReplica(localNode: settings.node))
        let meters = ClusterMeters()
        self.meters = meters
        let queue = DispatchQueue(label: "mprelay.cluster.\(settings.node)")
        self.queue = queue
        leaseQueue = DispatchQueue(label: "mprelay.cluster.\(settings.node).lease")
        var options = NATSConnectionOptions(servers: settings.servers)
        options.name = "mprelayd \(settings.node)"
        options.credentials = settings.credentials
        options.tls = settings.tls
        options.tlsServerName = settings.tlsServerName
        options.connectTimeout = Self.duration(settings.natsTimeout)
        options.maxPendingBytes = settings.maxPendingBytes
        options.eventQueue = queue
        options.onEvent = { event in
            if case .reconnected = event { ClusterMeters.count(meters.natsReconnects) }
            handlers.event(.nats(event))
        }
        let connection = try NATSConnection(options: options)
        self.connection = connection
        bucket = NATSKeyValue(bucket: settings.bucket, connection: connection, timeout: Self.duration(settings.natsTimeout))
        links = DeliveryLinks(
            node: settings.node,
            epoch: incarnation,
            repeatWindow: UInt64(settings.natsTimeout * 1e9),
            queue: queue
        ) { acknowledgement, sender in
            // Lost with NATS, an acknowledgement is repeated; the sender waits nats_timeout.
            try? connection.publish(subjects.node(sender), payload: ClusterFrame.acknowledgement(acknowledgement).encoded())
        }
    }

    /// The least time the bucket's creation (or binding) at start may take.
    static let bucketCreationTimeout = Duration.seconds(10)

    /// `seconds` as a `Duration`, to the millisecond.
    private static func duration(_ seconds: Double) -> Duration {
        .milliseconds(Int((seconds * 1000).rounded()))
    }

    /// Joins the cluster: connects, reads the bucket, writes the lease and subscribes.
    ///
    /// - Throws: ``ClusterError`` naming the NATS failure; nothing is left running then.
    public static func start(_ settings: ClusterNodeSettings, handlers: ClusterNodeHandlers) throws(ClusterError) -> ClusterNode {
        let node: ClusterNode
        do {
            node = try ClusterNode(settings: settings, handlers: handlers)
        } catch {
            throw .unavailable(error, node: settings.node)
        }
        do throws(NATSError) {
            try node.join()
        } catch {
            node.stop()
            throw .unavailable(error, node: settings.node)
        }
        return node
    }

    private func join() throws(NATSError) {
        // Creating a replicated stream waits for the servers to agree: at start, allow it longer.
        let timeout = max(bucket.timeout, Self.bucketCreationTimeout)
        _ = try NATSKeyValue.create(bucket: settings.bucket, replicas: min(3, settings.servers.count), on: connection, timeout: timeout)
        let ready = DispatchSemaphore(value: 0)
        let watch = try bucket.watch(on: queue) { [self] event in
            switch event {
            case .entry(let entry):
                let (changes, lost) = apply(entry)
                if !changes.isEmpty { handlers.presence(changes) }
                if let (name, holder) = lost, releasing.withLock({ $0.remove(holder.revision) == nil }) {
                    handlers.event(.claimLost(name, connection: holder.claim.connection))
                }
            case .initialValuesDone:
                ready.signal()
            }
        }
        watcher.withLock { $0 = watch }
        guard ready.wait(timeout: .now() + max(settings.natsTimeout * 4, 10)) == .success else {
            throw .timeout(operation: "reading bucket \(settings.bucket)")
        }
        for stale in replica.withLock({ $0.staleClaims(incarnation: incarnation) }) {
            do {
                try bucket.delete(stale.key.description, revision: stale.revision)
            } catch .wrongRevision {
                // Replaced by another node meanwhile: no longer this node's to free.
            }
        }
        _ = try bucket.put(ClusterKey.node(settings.node).description, value: Array(String(incarnation, radix: 16).utf8))
        // Frames are handled on the NATS reader thread as they are read: a thread hop less for
        // every cross-node message. Nothing in their handling waits for NATS.
        let subscribed = try connection.subscribe(to: subjects.node(settings.node), on: nil, afterEachRun: handlers.afterFrames) { [self] message in
            receive(message)
        }
        let unreachable = try connection.subscribe(to: subjects.unreachableReplies(of: settings.node), on: queue) { [self] message in
            receiveUnreachable(message)
        }
        subscriptions.withLock { $0 = [subscribed, unreachable] }
        scheduleLeaseTurn()
    }

    /// Applies a watch entry to the replica; says which claim of this run it took away, if any.
    private func apply(_ entry: NATSKeyValueEntry) -> ([PresenceChange], (PeerName, ClusterReplica.Holder)?) {
        replica.withLock { replica in
            guard case .name(let name) = ClusterKey(entry.key) else { return (replica.apply(entry, now: .now), nil) }
            let before = replica.owner(of: name)
            let changes = replica.apply(entry, now: .now)
            let after = replica.owner(of: name)?.claim
            guard let before, isMine(before.claim), after.map(isMine) != true else { return (changes, nil) }
            return (changes, (name, before))
        }
    }

    /// Whether `claim` was made by this run of this node.
    private func isMine(_ claim: NameClaim) -> Bool {
        claim.node == settings.node && claim.incarnation == incarnation
    }

    /// Refreshes the lease and deletes expired claims, then comes back after `name_lease / 6`;
    /// the lease itself is written every other turn, every `name_lease / 3`. While this node
    /// cannot reach NATS, or its bucket calls fail (JetStream electing leaders after a restart),
    /// nothing is judged; the first turn whose lease write succeeds again gives every other node
    /// a whole expiry period (``ClusterReplica/renewLeases(now:)``), so that an outage of NATS
    /// does not make the nodes take each other for dead.
    private func scheduleLeaseTurn(_ turn: Int = 1) {
        leaseQueue.asyncAfter(deadline: .now() + settings.nameLease / 6) { [self] in
            guard !stopped.load(ordering: .acquiring) else { return }
            defer { scheduleLeaseTurn(turn + 1) }
            guard connection.isConnected else {
                wasCutOff.store(true, ordering: .relaxed)
                return
            }
            let recovering = wasCutOff.load(ordering: .relaxed)
            if recovering || turn % 2 == 0 {
                guard refreshLease() else {
                    wasCutOff.store(true, ordering: .relaxed)
                    return
                }
            }
            if recovering {
                replica.withLock { $0.renewLeases(now: .now) }
                wasCutOff.store(false, ordering: .relaxed)
                return
            }
            deleteExpired()
        }
    }

    /// Writes this node's lease; false (and reported) when the bucket did not take it.
    private func refreshLease() -> Bool {
        do {
            _ = try bucket.put(ClusterKey.node(settings.node).description, value: Array(String(incarnation, radix: 16).utf8))
            return true
        } catch {
            handlers.event(.bucketCallFailed("refreshing the lease of node \(settings.node): \(error)"))
            return false
        }
    }

    private func deleteExpired() {
        let expired = replica.withLock { $0.expire(now: .now, lease: .seconds(settings.nameLease)) }
        var freed: [String: Int] = [:]
        var alive: Set<String> = []
        for (node, keys) in Dictionary(grouping: expired, by: \.node).sorted(by: { $0.key < $1.key }) {
            guard isSilent(node) else {
                alive.insert(node)
                continue
            }
            for key in keys {
                do {
                    try bucket.delete(key.key.description, revision: key.revision)
                } catch .wrongRevision {
                    // Another survivor deleted it first, or its holder wrote it again: either is fine.
                } catch {
                    handlers.event(.bucketCallFailed("deleting \(key.key) of expired node \(key.node): \(error)"))
                    replica.withLock { $0.retryExpiry(of: key.node) }
                    continue
                }
                freed[key.node, default: 0] += key.key.isName ? 1 : 0
            }
        }
        for (node, count) in freed.sorted(by: { $0.key < $1.key }) { handlers.event(.nodeExpired(node, names: count)) }
    }

    /// Whether `node`, silent in the replica past its lease, is silent in the bucket too: its
    /// lease read directly, not through the watch, which a stream leader's election can hold up
    /// for longer than the lease while the node's writes go through. A newer lease than the
    /// replica knows brings the node back; a read that fails judges nothing this turn.
    private func isSilent(_ node: String) -> Bool {
        let known = replica.withLock { $0.leaseRevision(of: node) }
        let entry: NATSKeyValueEntry?
        do {
            entry = try bucket.get(ClusterKey.node(node).description)
        } catch {
            handlers.event(.bucketCallFailed("reading the lease of node \(node): \(error)"))
            replica.withLock { $0.retryExpiry(of: node) }
            return false
        }
        guard let entry, entry.operation == .put, entry.revision != known else { return true }
        replica.withLock { _ = $0.apply(entry, now: .now) }
        return false
    }

    /// Claims `name` for `connection` on this node: an atomic create of its key.
    ///
    /// - Returns: the claim's revision, for ``release(_:revision:)`` and
    ///   ``replace(_:connection:revision:)``.
    /// - Throws: ``ClusterError/nameTaken(_:holder:node:)`` when any node holds it,
    ///   ``ClusterError/unavailable(_:node:)`` when NATS does not answer.
    public func claim(_ name: PeerName, connection: UInt64) throws(ClusterError) -> UInt64 {
        let claim = NameClaim(node: settings.node, incarnation: incarnation, connection: connection)
        do {
            return try bucket.create(ClusterKey.name(name).description, value: claim.bytes)
        } catch .keyExists {
            throw .nameTaken(name, holder: owner(of: name)?.claim, node: settings.node)
        } catch {
            throw .unavailable(error, node: settings.node)
        }
    }

    /// Hands `name` to `connection` on this node, if its claim is still at `revision`.
    ///
    /// - Returns: the new revision.
    /// - Throws: ``ClusterError/claimLost(_:node:)`` when the claim changed meanwhile.
    public func replace(_ name: PeerName, connection: UInt64, revision: UInt64) throws(ClusterError) -> UInt64 {
        let claim = NameClaim(node: settings.node, incarnation: incarnation, connection: connection)
        do {
            return try bucket.update(ClusterKey.name(name).description, value: claim.bytes, revision: revision)
        } catch .wrongRevision {
            throw .claimLost(name, node: settings.node)
        } catch {
            throw .unavailable(error, node: settings.node)
        }
    }

    /// Frees `name`, if its claim is still at `revision` (a claim replaced since is left alone).
    ///
    /// - Throws: ``ClusterError/claimLost(_:node:)``, ``ClusterError/unavailable(_:node:)``.
    public func release(_ name: PeerName, revision: UInt64) throws(ClusterError) {
        releasing.withLock { _ = $0.insert(revision) }
        do {
            try bucket.delete(ClusterKey.name(name).description, revision: revision)
        } catch .wrongRevision {
            releasing.withLock { _ = $0.remove(revision) }
            throw .claimLost(name, node: settings.node)
        } catch {
            // The delete may still have been made: the watch will show it, as this node's own.
            throw .unavailable(error, node: settings.node)
        }
    }

    /// Who holds `name` as far as the replica knows: a read in memory.
    public func owner(of name: PeerName) -> ClusterReplica.Holder? {
        replica.withLock { $0.owner(of: name) }
    }

    /// The names held on other nodes.
    public var remoteNames: [PeerName] { replica.withLock { $0.remoteNames } }

    /// The other nodes whose lease is current.
    public var liveNodes: [String] { replica.withLock { $0.liveNodes } }

    /// The cross-node traffic and NATS reconnects since the node started.
    public var counters: ClusterCounters { meters.snapshot }

    /// The NATS server connected to now, or last.
    public var server: NATSServerAddress { connection.server }

    /// Whether a NATS server is connected now.
    public var isConnected: Bool { connection.isConnected }

    /// Every name held on another node, with its node, sorted by name.
    public var remoteHolders: [(name: PeerName, node: String)] {
        replica.withLock { replica in replica.remoteNames.compactMap { name in replica.owner(of: name).map { (name, $0.claim.node) } } }
    }

    /// Leaves the cluster: stops the lease, the watch and the subscription, deletes the lease key
    /// (so the others need not wait for it to expire) and closes the connection. The caller
    /// releases its names first.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        leaseQueue.sync {}
        for subscription in subscriptions.withLock({ subscriptions in defer { subscriptions = [] }; return subscriptions }) {
            subscription.unsubscribe()
        }
        watcher.withLock { $0.take() }?.stop()
        if connection.isConnected {
            _ = try? bucket.delete(ClusterKey.node(settings.node).description)
        }
        connection.close()
    }
}
