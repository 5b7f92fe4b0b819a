import Dispatch
import Logging
import MPRelayCore
import Synchronization

/// What every connection shares: the registry, the current limits, counters and the logger.
/// The ``Broker`` owns it; connections hold it instead of the broker, so they cannot reach
/// endpoint or lifecycle management.
final class RelayContext: Sendable {
    let registry = PeerRegistry<Connection>()
    let statistics = RelayStatistics()
    let principalUsage = PrincipalUsage()
    /// Decides HELLOs and departures over ``registry`` and ``principalUsage``.
    let registrar: Registrar<Connection>
    let authFailures = AuthFailureLimiter()
    let logger: Logger
    private let currentLimits: Mutex<RelayLimits>
    private let liveConnections = Mutex<[Int: Connection]>([:])
    private let clusterLink = Mutex<ClusterLink?>(nil)
    private let handshakes = Atomic<Int>(0)
    private let nextConnectionID = Atomic<Int>(1)

    /// Listening sockets systemd passed, by `FileDescriptorName=`; a name may have several.
    let inheritedSockets: [String: [Int32]]

    init(limits: RelayLimits, logger: Logger, inheritedSockets: [String: [Int32]]) {
        self.inheritedSockets = inheritedSockets
        self.currentLimits = Mutex(limits)
        self.logger = logger
        self.registrar = Registrar(registry: registry, usage: principalUsage)
    }

    var limits: RelayLimits {
        get { currentLimits.withLock { $0 } }
        set { currentLimits.withLock { $0 = newValue } }
    }

    /// The cluster this relay joined, set before it accepts its first connection; nil outside a
    /// cluster. Each connection reads it once, when it is made.
    var cluster: ClusterLink? {
        get { clusterLink.withLock { $0 } }
        set { clusterLink.withLock { $0 = newValue } }
    }

    func makeConnectionID() -> Int { nextConnectionID.add(1, ordering: .relaxed).oldValue }

    /// Counts a new connection in, or returns why it must be refused.
    func admit(_ connection: Connection) -> String? {
        let limits = self.limits
        let refusal: String? = liveConnections.withLock { live in
            if live.count >= limits.maxConnections { return "max_connections (\(limits.maxConnections)) reached" }
            if handshakes.load(ordering: .relaxed) >= limits.maxHandshakes {
                return "max_handshakes (\(limits.maxHandshakes)) in progress"
            }
            live[connection.id] = connection
            handshakes.add(1, ordering: .relaxed)
            return nil
        }
        if refusal == nil {
            statistics.connectionsAccepted.add(1, ordering: .relaxed)
        } else {
            statistics.connectionsRefused.add(1, ordering: .relaxed)
        }
        return refusal
    }

    func handshakeEnded() { handshakes.subtract(1, ordering: .relaxed) }

    func connectionClosed(_ connection: Connection) {
        liveConnections.withLock { _ = $0.removeValue(forKey: connection.id) }
    }

    /// The connection numbered `id`, if it is still open.
    func connection(id: Int) -> Connection? {
        liveConnections.withLock { $0[id] }
    }

    /// Every connection, handshaking or registered.
    var connections: [Connection] { liveConnections.withLock { Array($0.values) } }

    var handshakesInProgress: Int { handshakes.load(ordering: .relaxed) }
}
