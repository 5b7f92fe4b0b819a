public import MPRelayBroker
public import MPRelayConfig
public import MPRelayControl
public import MPRelayLogging
import Glibc
import MPRelayCluster
import MPRelayCommon
import MPRelayProtocol
import Synchronization

/// The daemon's state as the report types of the control protocol, built in one place for every
/// server that shows it (the control socket and the monitoring HTTP server), so two views of the
/// same moment never disagree.
///
/// Reads only the broker's snapshot API (atomics and locks): nothing here waits on a peer's
/// queue, so any thread may call it while the relay is under load.
public final class RelaySnapshots: Sendable {
    /// The broker the reports describe; `kick` acts on it.
    public let broker: Broker
    /// The log level the reports show; `log-level` changes it.
    public let levelControl: LogLevelControl
    private let clock = DaemonClock()
    private let configuration: Mutex<Configuration>
    private let controlClientCount = Atomic<Int>(0)

    /// Creates the snapshot source of a running daemon.
    ///
    /// - Parameters:
    ///   - broker: the running broker.
    ///   - levelControl: the daemon's log level.
    ///   - configuration: the running configuration; ``apply(_:)`` replaces it after a reload.
    public init(broker: Broker, levelControl: LogLevelControl, configuration: Configuration) {
        self.broker = broker
        self.levelControl = levelControl
        self.configuration = Mutex(configuration)
    }

    /// Takes the configuration a reload applied: its endpoints and source appear in ``status()``.
    public func apply(_ configuration: Configuration) {
        self.configuration.withLock { $0 = configuration }
    }

    /// Clients connected to the control socket now, as the metrics report them.
    public var controlClients: Int { controlClientCount.load(ordering: .relaxed) }

    /// Records how many clients the control socket has; only its server calls this.
    func setControlClients(_ count: Int) {
        controlClientCount.store(count, ordering: .relaxed)
    }

    /// What the daemon is, where it listens, and what it has done: the `status` result.
    public func status() -> StatusReport {
        let configuration = configuration.withLock { $0 }
        let statistics = broker.statistics
        let peers = broker.peers
        let endpoints = EndpointMatcher.reports(
            configured: configuration.endpoints.map(\.address),
            listening: broker.listeningAddresses,
            peerEndpoints: peers.map(\.endpoint)
        )
        let errors = statistics.errorsByCode.sorted { $0.key < $1.key }.map { code, count in
            ErrorCount(code: Int(code), name: RelayErrorCode(rawValue: code)?.description ?? "code \(code)", count: count)
        }
        return StatusReport(
            version: MPRelayVersion.current,
            pid: Int(getpid()),
            startedAt: clock.startedAt,
            uptimeSeconds: clock.uptime,
            configuration: configuration.source,
            logLevel: levelControl.level.rawValue,
            endpoints: endpoints,
            connections: broker.connectionCount,
            peers: peers.count,
            handshakesInProgress: broker.handshakesInProgress,
            totals: RelayTotals(
                messagesRelayed: statistics.messagesRelayed,
                bytesRelayed: statistics.bytesRelayed,
                authFailures: statistics.authFailures,
                connectionsAccepted: statistics.connectionsAccepted,
                connectionsRefused: statistics.connectionsRefused,
                errors: errors,
                tlsHandshakes: statistics.tlsHandshakes,
                tlsFailures: statistics.tlsFailuresByReason
            ),
            cluster: broker.cluster.map(ClusterReport.init)
        )
    }

    /// Every registered peer, sorted by name: the `peers` result.
    ///
    /// - Parameter cluster: on a cluster node, add this node's id and every name held on the
    ///   other nodes with its node (`peers` with `cluster`); on a single node it changes nothing.
    public func peers(cluster: Bool = false) -> PeerList {
        let now = clock.now
        let local = broker.peers.map { PeerReport($0, now: now) }
        guard cluster, let node = broker.cluster else { return PeerList(peers: local) }
        let remote = node.remoteHolders.map { RemotePeerReport(name: $0.name.description, node: $0.node) }
        return PeerList(peers: local, node: node.settings.node, remotePeers: remote)
    }

    /// The peer registered as `name`, or nil: the `peer` result.
    public func peer(named name: String) -> PeerReport? {
        broker.peer(named: name).map { PeerReport($0, now: clock.now) }
    }

    /// The Prometheus exposition of this moment: the `metrics` result.
    public func metrics() -> MetricsReport {
        MetricsReport(text: MetricsExposition.render(
            status: status(),
            peers: broker.peers,
            controlClients: controlClients,
            logLinesDropped: LogOutput.droppedInProcess
        ))
    }
}
