public import Logging
public import MPRelayCluster
public import MPRelayCommon
public import MPRelayPOSIX
import Dispatch
import MPRelayCore
import MPRelayProtocol
import Synchronization

/// The relay: its endpoints, its connections and their registry, from start to drained shutdown.
public final class Broker: Sendable {
    private let context: RelayContext
    private let endpoints = Mutex<[Endpoint]>([])
    private let settings: Mutex<BrokerSettings>
    /// The watchdog's probe through a poller thread and a connection-style queue, once started.
    private let relayProbe = Mutex<RelayProbe?>(nil)

    /// Creates a broker for `settings`; nothing listens until ``start()``.
    ///
    /// - Parameter inheritedSockets: listening sockets systemd passed, by `FileDescriptorName=`,
    ///   for endpoints written `socket = "NAME"`.
    public init(settings: BrokerSettings, logger: Logger, inheritedSockets: [String: [Int32]] = [:]) {
        self.settings = Mutex(settings)
        self.context = RelayContext(limits: settings.limits, logger: logger, inheritedSockets: inheritedSockets)
    }

    /// Joins the cluster the settings name, if any: connects to NATS,
    /// reads the cluster's names and starts this node's lease. Call it before ``start()``.
    ///
    /// - Throws: ``ClusterError`` naming the NATS failure; the broker stays a single node then.
    public func joinCluster() throws(ClusterError) {
        guard let cluster = settings.withLock({ $0.cluster }) else { return }
        let link = ClusterLink(settings: cluster, context: context)
        try link.join()
        context.cluster = link
    }

    /// The cluster node this broker joined, or nil.
    public var cluster: ClusterNode? { context.cluster?.node }

    /// Binds every endpoint, then starts accepting on all of them. Nothing accepts unless all bind.
    ///
    /// - Returns: the addresses bound, with real ports where the config said 0.
    /// - Throws: ``SocketError`` naming the first endpoint that could not listen.
    @discardableResult
    public func start() throws(SocketError) -> [EndpointAddress] {
        let configured = settings.withLock { $0.endpoints }
        var opened: [Endpoint] = []
        for (index, endpoint) in configured.enumerated() {
            do {
                opened += try open(endpoint, index: index + 1)
            } catch {
                for endpoint in opened { endpoint.stop() }
                throw error
            }
        }
        try startAccepting(opened)
        endpoints.withLock { $0 = opened }
        return opened.map(\.boundAddress)
    }

    /// Binds `configured`, or adopts every socket systemd passed under its `socket = "NAME"`
    /// (one ``Endpoint`` each, so that two `ListenStream=` lines under one name are both served).
    private func open(_ configured: EndpointSettings, index: Int) throws(SocketError) -> [Endpoint] {
        guard case .systemdSocket(let name) = configured.address, let inherited = context.inheritedSockets[name], !inherited.isEmpty else {
            return [try Endpoint(configured, inherited: nil, context: context, index: index)]
        }
        var opened: [Endpoint] = []
        for fd in inherited {
            opened.append(try Endpoint(configured, inherited: fd, context: context, index: index))
        }
        return opened
    }

    /// Starts accepting on endpoints just opened, or on none of them: they are all stopped when
    /// one cannot be watched.
    private func startAccepting(_ opened: [Endpoint]) throws(SocketError) {
        for endpoint in opened {
            do {
                try endpoint.start()
            } catch {
                for endpoint in opened { endpoint.stop() }
                throw error
            }
            context.logger.info("listening on \(endpoint.boundAddress)")
        }
    }

    /// The addresses currently listening.
    public var listeningAddresses: [EndpointAddress] { endpoints.withLock { $0.map(\.boundAddress) } }

    /// Broker-wide counters.
    public var statistics: RelayStatistics.Snapshot { context.statistics.snapshot }

    /// The number of registered peers.
    public var peerCount: Int { context.registry.count }

    /// Connections open, handshaking or registered.
    public var connectionCount: Int { context.connections.count }

    /// Applies new settings whole, or not at all.
    ///
    /// Kept endpoints' certificates are loaded and new endpoints bound first; if a certificate does
    /// not load or an endpoint cannot listen, the ones just opened are closed and the running
    /// settings stay untouched. Then limits and keys switch over, removed endpoints
    /// stop accepting, and peers whose key is no longer accepted are disconnected with a reason.
    /// Established connections are otherwise kept. `new.cluster` is not read: a node keeps the
    /// cluster settings it joined with.
    ///
    /// - Returns: a summary of what changed.
    /// - Throws: ``SocketError`` for the endpoint that could not listen or load its certificate.
    public func reload(_ new: BrokerSettings) throws(SocketError) -> String {
        let running = endpoints.withLock { $0 }
        let runningAddresses = Set(running.map(\.description.configuredAddress))
        let byAddress = Dictionary(uniqueKeysWithValues: new.endpoints.map { ($0.address, $0) })
        // Every kept endpoint's certificates load before anything changes.
        var renewed: [(Endpoint, EndpointDescription)] = []
        for endpoint in running {
            guard let configured = byAddress[endpoint.description.configuredAddress] else { continue }
            renewed.append((endpoint, try endpoint.describe(configured)))
        }
        var opened: [Endpoint] = []
        for (index, endpoint) in new.endpoints.enumerated() where !runningAddresses.contains(endpoint.address) {
            do {
                opened += try open(endpoint, index: index + 1)
            } catch {
                for endpoint in opened { endpoint.stop() }
                throw error
            }
        }
        try startAccepting(opened)
        for (endpoint, description) in renewed { endpoint.update(description) }
        let kept = renewed.map(\.0)
        let removed = running.filter { endpoint in !kept.contains { $0 === endpoint } }
        settings.withLock { $0 = new }
        context.limits = new.limits
        for endpoint in removed {
            endpoint.stop()
            context.logger.info("stopped listening on \(endpoint.boundAddress): removed from the configuration")
        }
        endpoints.withLock { $0 = kept + opened }
        context.registry.invalidateRoutes()
        for connection in context.connections {
            connection.queue.async { connection.applyReload(byAddress) }
        }
        return "\(new.endpoints.count) endpoint(s): \(opened.count) added, \(removed.count) removed, \(kept.count) kept"
    }

    /// Every registered peer, read without entering any connection's queue, sorted by name.
    public var peers: [PeerSnapshot] {
        context.registry.peers().compactMap(\.snapshot).sorted { $0.name < $1.name }
    }

    /// One registered peer, or nil.
    public func peer(named name: String) -> PeerSnapshot? {
        guard let key = try? PeerName(name) else { return nil }
        return context.registry.lookup(key)?.snapshot
    }

    /// Disconnects the peer registered as `name` with ERROR `kicked` carrying `reason`.
    ///
    /// - Returns: false when no such peer is registered.
    public func kick(_ name: String, reason: String) -> Bool {
        guard let key = try? PeerName(name), let connection = context.registry.lookup(key) else { return false }
        connection.queue.async { connection.fail(.kicked, text: reason) }
        return true
    }

    /// Calls `completion` once a byte went the way a message goes (a socket's readiness seen by a
    /// poller thread, a handler run on a serial queue: ``RelayProbe``) and every endpoint's queue
    /// has run a block that also took the registry's and the connection table's locks: proof, for
    /// a watchdog, that the broker still accepts and relays. A wedged broker never calls it.
    ///
    /// - Throws: ``SocketError`` when the probe's socket pair cannot be set up (the first time).
    public func probe(completion: @escaping @Sendable () -> Void) throws(SocketError) {
        let group = DispatchGroup()
        let probe = try relayProbe.withLock { probe throws(SocketError) -> RelayProbe in
            if let probe { return probe }
            let created = try RelayProbe()
            probe = created
            return created
        }
        group.enter()
        probe.send { group.leave() }
        for endpoint in endpoints.withLock({ $0 }) {
            endpoint.probe(group) { [context] in
                _ = context.registry.count
                _ = context.connections.count
            }
        }
        group.notify(queue: .global(), execute: completion)
    }

    #if DEBUG
    /// Wedges every poller thread, for the watchdog test; debug builds only.
    public func wedgeForTesting() {
        ReadinessPoller.shared.wedgeForTesting()
    }
    #endif

    /// Seconds a shutdown lets queued deliveries flush (`drain_timeout`, as last reloaded).
    public var drainTimeout: Double { context.limits.drainTimeout }

    /// Handshakes in progress now.
    public var handshakesInProgress: Int { context.handshakesInProgress }

    /// Stops accepting, stops reading, lets every queued delivery flush, says GOODBYE to every peer,
    /// and calls `completion` once all connections are closed or `drain_timeout` has passed.
    public func shutdown(completion: @escaping @Sendable () -> Void) {
        let drain = context.limits.drainTimeout
        for endpoint in endpoints.withLock({ $0 }) { endpoint.stop() }
        endpoints.withLock { $0 = [] }
        let connections = context.connections
        let group = DispatchGroup()
        for connection in connections {
            connection.queue.async(group: group) { connection.stopReading() }
        }
        group.notify(queue: .global()) { [context] in
            let goodbye = Envelope.goodbye(reason: .shuttingDown, text: "the broker is shutting down").encodedFrame()
            for connection in connections {
                connection.queue.async { connection.sayGoodbye(goodbye, drain: drain) }
            }
            Self.waitUntilClosed(context, deadline: .now() + drain) {
                // The connections released their names as they closed; the node's lease goes last.
                context.cluster?.leave()
                completion()
            }
        }
    }

    private static func waitUntilClosed(_ context: RelayContext, deadline: DispatchTime, completion: @escaping @Sendable () -> Void) {
        if context.connections.isEmpty || DispatchTime.now() >= deadline {
            completion()
            return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.01) {
            waitUntilClosed(context, deadline: deadline, completion: completion)
        }
    }
}
