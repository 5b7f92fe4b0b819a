import Dispatch
import Logging
import MPRelayCluster
import MPRelayCore
import MPRelayLogging
import MPRelayNATS
import MPRelayProtocol
import Synchronization

/// This relay's membership of a cluster: the ``ClusterNode`` it joined, the names its
/// connections hold cluster-wide, and what the other nodes send it (deliveries for its peers,
/// the outcomes of its own peers' remote deliveries, presence, lost claims).
///
/// Connections call it from their own queues (claims, releases, publications, lookups); the
/// node calls back in order: frames from other nodes on its NATS reader thread, the rest on its
/// queue. Everything they touch is behind a lock or thread-safe, as for the connections' calls.
final class ClusterLink: RemoteNames {
    /// A name a local connection holds cluster-wide: the connection, and the revision the
    /// bucket wrote its claim at, which a release or a replace must check.
    struct Claim {
        var connection: Int
        var revision: UInt64
    }

    /// What claiming a name for a HELLO came to.
    enum ClaimOutcome {
        /// The name is this node's; `replacedRemote` when it was taken over from another node
        /// (its watchers hear LEFT before JOINED).
        case claimed(replacedRemote: Bool)
        /// Another node holds it, and the principal does not replace holders (or lost the race).
        case taken(holder: String?)
        /// NATS did not answer: the HELLO is refused with `cluster unavailable`.
        case unavailable(ClusterError)
    }

    let settings: ClusterNodeSettings
    let context: RelayContext
    let logger: Logger
    private let joined = Mutex<ClusterNode?>(nil)
    private let claims = Mutex<[PeerName: Claim]>([:])
    /// Claims whose release NATS did not take: retried when it is back.
    private let unreleased = Mutex<[PeerName: UInt64]>([:])
    /// `confirm` SENDs published and not answered yet, and where they went: if that node dies
    /// first, each sender gets ERROR `unknown peer` instead of waiting for an ACK forever.
    let confirms = PendingConfirms()
    /// The buffer deliveries from other nodes lend a receiver they write to directly; only the
    /// NATS reader thread uses it, the lock only makes that checkable.
    let directWriteSpare = Mutex<[UInt8]>([])
    /// Receivers that got deliveries from other nodes in the current run of frames, to write to
    /// once the run is handled (``flushDeliveries()``).
    let deliveryFlushes = Mutex<[Connection]>([])
    /// The names on other nodes this node's watchers were told of.
    private let presence = RemotePresence()
    /// The uptime in nanoseconds at which NATS became unreachable; 0 while connected.
    let cutOffSince = Atomic<UInt64>(0)
    /// Where lost claims are claimed again and failed releases retried: blocking NATS calls,
    /// kept off the node's queue.
    private let retryQueue: DispatchQueue

    init(settings: ClusterNodeSettings, context: RelayContext) {
        self.settings = settings
        self.context = context
        var logger = context.logger
        logger[metadataKey: MultiprocessingLogHandler.processNameKey] = "Cluster-\(settings.node)"
        self.logger = logger
        retryQueue = DispatchQueue(label: "Cluster-\(settings.node).retry")
    }

    /// Joins the cluster (``ClusterNode/start(_:handlers:)``): blocks until the bucket is read.
    func join() throws(ClusterError) {
        let handlers = ClusterNodeHandlers(
            presence: { [self] changes in announce(changes) },
            frame: { [self] frame in receive(frame) },
            deliveries: { [self] frame in deliver(frame) },
            afterFrames: { [self] in flushDeliveries() },
            event: { [self] event in report(event) }
        )
        let node = try ClusterNode.start(settings, handlers: handlers)
        joined.withLock { $0 = node }
        scheduleExpiry()
        logger.info("joined cluster \(settings.name) as node \(settings.node) through NATS server \(node.server), \(node.liveNodes.count) other node(s) alive")
    }

    /// Answers the SENDs left without an answer, every `nats_timeout / 2` while joined.
    private func scheduleExpiry() {
        retryQueue.asyncAfter(deadline: .now() + settings.natsTimeout / 2) { [self] in
            guard node != nil else { return }
            expireUnanswered()
            scheduleExpiry()
        }
    }

    /// The node, once joined.
    var node: ClusterNode? { joined.withLock { $0 } }

    /// Leaves the cluster, after the connections have released their names.
    func leave() {
        joined.withLock { $0.take() }?.stop()
    }

    // MARK: Names

    func node(holding name: PeerName) -> String? {
        guard let holder = node?.owner(of: name), holder.claim.node != settings.node else { return nil }
        return holder.claim.node
    }

    /// Claims `name` for `connection` across the cluster; `replace` when its principal's
    /// `on_name_conflict` is `"replace"`. Blocks for a NATS round trip (at most `nats_timeout`).
    func claim(_ name: PeerName, for connection: Int, replace: Bool) -> ClaimOutcome {
        guard let node, !isCutOff else { return .unavailable(.unavailable(.disconnected, node: settings.node)) }
        do {
            let revision = try node.claim(name, connection: UInt64(connection))
            claims.withLock { $0[name] = Claim(connection: connection, revision: revision) }
            return .claimed(replacedRemote: false)
        } catch let error where error.isNameTaken {
            guard let holder = node.owner(of: name) else { return .taken(holder: nil) }
            // A claim under this node's id that no connection of this run holds (left by an
            // earlier run, or a release that did not reach NATS) is not a conflict: node ids
            // are unique in a cluster, so take it back whatever the policy.
            let leftover = holder.claim.node == settings.node
                && (holder.claim.incarnation != node.incarnation || claims.withLock { $0[name] == nil })
            guard leftover || (replace && holder.claim.node != settings.node) else { return .taken(holder: holder.claim.node) }
            do {
                let revision = try node.replace(name, connection: UInt64(connection), revision: holder.revision)
                claims.withLock { $0[name] = Claim(connection: connection, revision: revision) }
                unreleased.withLock { _ = $0.removeValue(forKey: name) }
                return .claimed(replacedRemote: !leftover)
            } catch let error where error.isUnavailable {
                return .unavailable(error)
            } catch {
                return .taken(holder: holder.claim.node)
            }
        } catch {
            return .unavailable(error)
        }
    }

    /// A local HELLO replaced the local holder of `name`: the claim stays this node's, held for
    /// `connection` now. The bucket is not written: the other nodes route by node, not connection.
    func handOver(_ name: PeerName, to connection: Int) {
        claims.withLock { $0[name]?.connection = connection }
    }

    /// Frees `name` cluster-wide if `connection` holds its claim. Blocks for a NATS round trip
    /// while NATS is up; a release NATS does not take is retried when it is back.
    func release(_ name: PeerName, by connection: Int) {
        let claim = claims.withLock { claims -> Claim? in
            guard claims[name]?.connection == connection else { return nil }
            return claims.removeValue(forKey: name)
        }
        guard let claim, let node else { return }
        do {
            try node.release(name, revision: claim.revision)
        } catch let error where error.isUnavailable {
            unreleased.withLock { $0[name] = claim.revision }
            logger.warning("could not release \(name) in the cluster (\(error)); retrying once NATS is back")
        } catch {
            // Replaced or freed by another node meanwhile: no longer this node's to release.
            logger.debug("release of \(name): \(error)")
        }
    }

    /// Every registered name in the cluster, sorted bytewise: what LIST answers.
    func names() -> [PeerName] {
        let local = context.registry.names()
        guard let remote = node?.remoteNames, !remote.isEmpty else { return local }
        return Set(local).union(remote).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    // MARK: Presence and events

    /// JOINED and LEFT for names on other nodes, to this node's watchers; every sender looks its
    /// routes up again.
    /// JOINED for `sender` on `node` if this node's watchers have not heard it yet: before its
    /// first message from there is queued.
    func announceSender(_ sender: PeerName, on node: String) {
        guard presence.messageArrived(from: sender, on: node, now: DispatchTime.now().uptimeNanoseconds) else { return }
        let notice = PresenceNotice<Connection>.joined(sender, to: context.registry.watchers())
        for watcher in notice.watchers { watcher.enqueueNotice(notice.frame) }
    }

    private func announce(_ changes: [PresenceChange]) {
        context.registry.invalidateRoutes()
        let watchers = context.registry.watchers()
        for change in changes {
            switch change {
            case .joined(let name, let node):
                guard presence.joined(name, on: node) else { continue }
                let notice = PresenceNotice<Connection>.joined(name, to: watchers)
                for watcher in notice.watchers { watcher.enqueueNotice(notice.frame) }
            case .left(let name, let node):
                // A name that moved here is announced by this node's own registry.
                guard presence.left(name, from: node, now: DispatchTime.now().uptimeNanoseconds), context.registry.lookup(name) == nil else { continue }
                let notice = PresenceNotice<Connection>.left(name, to: watchers)
                for watcher in notice.watchers { watcher.enqueueNotice(notice.frame) }
            }
        }
    }

    private func report(_ event: ClusterNodeEvent) {
        switch event {
        case .nats(.connected(let server)):
            logger.info("connected to NATS server \(server)")
        case .nats(.disconnected(let server, let reason)):
            _ = cutOffSince.compareExchange(expected: 0, desired: DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
            logger.warning("lost NATS server \(server): \(reason); reconnecting (cross-node messages are held for nats_timeout, then refused)")
        case .nats(.reconnected(let server)):
            node?.restartDeliveryClocks()
            cutOffSince.store(0, ordering: .relaxed)
            logger.info("reconnected to NATS server \(server)")
            retryQueue.async { [self] in retryReleases() }
        case .nats(.serverError(let text)):
            logger.warning("NATS server error: \(text)")
        case .nats(.closed):
            logger.info("NATS connection closed")
        case .nodeExpired(let node, let names):
            logger.warning("node \(node) was silent past its lease: its \(names) name(s) are free again")
            let unanswered = confirms.abandon(node: node) + (self.node?.abandonDeliveries(to: node) ?? [])
            for send in unanswered { refuseUndelivered(send) }
        case .malformedFrame(let error):
            logger.warning("ignored a frame from another node: \(error)")
        case .claimLost(let name, _):
            retryQueue.async { [self] in claimLost(name) }
        case .undeliverable(let sends):
            for send in sends { refuseUndelivered(send) }
        case .deliveriesLost(let sends):
            logger.warning("\(sends.count) message(s) were lost on the way to node \(sends[0].receiverNode); their senders get ERROR cluster unavailable")
            refuseLost(sends)
        case .deliveriesRefused(let sends, let code):
            for send in sends { answerRefused(send, code) }
        case .bucketCallFailed(let text):
            logger.warning("\(text); retrying on the next lease turn")
        }
    }

    /// This node's claim of `name` was replaced by another node, or deleted by nodes that took
    /// this one for dead. A freed name is claimed again for its local holder; a taken one costs
    /// the holder its name: ERROR `replaced`, and the connection closes.
    private func claimLost(_ name: PeerName) {
        guard let lost = claims.withLock({ $0.removeValue(forKey: name) }),
            let holder = context.connection(id: lost.connection), let node
        else { return }
        if node.owner(of: name) == nil, case .claimed = claim(name, for: lost.connection, replace: false) {
            logger.warning("the claim on \(name) was deleted by other nodes (this node was taken for dead); claimed it again")
            return
        }
        let taker = node.owner(of: name)?.claim.node ?? "another node"
        logger.warning("\(name) was taken over by node \(taker)")
        holder.queue.async {
            holder.fail(.replaced, peer: name.bytes, text: "the name \"\(name)\" was taken over on node \(taker)")
        }
    }

    private func retryReleases() {
        let pending = unreleased.withLock { pending in defer { pending = [:] }; return pending }
        guard let node else { return }
        for (name, revision) in pending.sorted(by: { $0.key.bytes.lexicographicallyPrecedes($1.key.bytes) }) {
            do {
                try node.release(name, revision: revision)
            } catch let error where error.isUnavailable {
                unreleased.withLock { $0[name] = revision }
            } catch {
                // Taken by another node meanwhile.
            }
        }
    }
}
