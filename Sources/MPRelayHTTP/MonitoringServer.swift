public import Logging
public import MPRelayConfig
public import MPRelayControlServer
import MPRelayBroker
import MPRelayControl
import MPRelayLogging
import NIOPosix
import Synchronization

/// The monitoring HTTP server of `[http]`: `/metrics` for Prometheus, `/healthz` and `/readyz`
/// for load balancers and orchestrators, the control socket's reports as JSON, and a live status
/// page (docs/OPERATIONS.md).
///
/// It runs on its own event loop thread, in the idle scheduling class below the relay's threads
/// (``MonitoringExecutor``), and reads only ``RelaySnapshots``, on a thread of its own at normal
/// priority (``RelayStateReader``), so a flood of HTTP requests neither takes the relay's threads
/// nor waits on its queues, and no relay thread waits for a lock the idle thread holds. A reload changes it in two
/// steps, ``prepare(_:)`` then ``commit(_:)`` or ``cancel(_:)``, so that a configuration is
/// applied whole or not at all: the new address is bound before anything else changes, and the
/// old listener keeps serving if the rest of the reload is refused.
public final class MonitoringServer: Sendable {
    private let reader: RelayStateReader
    private let health: HealthCheck
    private let exposition: ExpositionCache
    private let token = TokenSlot(nil)
    private let logger: Logger
    private let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let executor: MonitoringExecutor
    private let listener = Mutex<HTTPListener?>(nil)

    /// A server that serves `snapshots`; nothing listens until ``commit(_:)``.
    ///
    /// - Parameters:
    ///   - snapshots: the reports to serve, shared with the control socket.
    ///   - logger: for starts, stops and refusals.
    public init(snapshots: RelaySnapshots, logger: Logger) {
        self.reader = RelayStateReader(snapshots: snapshots)
        self.health = HealthCheck(reader: reader)
        self.exposition = ExpositionCache(reader: reader)
        var logger = logger
        logger[metadataKey: MultiprocessingLogHandler.processNameKey] = "HTTP"
        self.logger = logger
        self.executor = MonitoringExecutor(eventLoop: eventLoopGroup.next(), logger: logger)
    }

    /// The address the server listens on now, with its real port; nil when it is off.
    public var boundAddress: String? { listener.withLock { $0?.boundAddress } }

    /// Says every endpoint listens: `/readyz` and `/healthz` may answer 200 from now on.
    public func markReady() { health.set(.ready) }

    /// Says a shutdown began: `/readyz` and `/healthz` answer 503 from now on.
    public func markDraining() { health.set(.draining) }

    /// Binds the listener `http` asks for, if it is a new one, without touching the running one.
    ///
    /// - Returns: the change, for ``commit(_:)`` or ``cancel(_:)``.
    /// - Throws: ``MonitoringServerError`` when the new address cannot be bound; nothing changed.
    public func prepare(_ http: HTTPConfig) throws(MonitoringServerError) -> MonitoringChange {
        let running = listener.withLock { $0?.address }
        let newToken = http.token.map(BearerToken.init)
        guard let address = http.listen else {
            return MonitoringChange(listener: nil, replacesRunning: running != nil, token: newToken, summary: running == nil ? nil : "stopped")
        }
        if address == running {
            return MonitoringChange(listener: nil, replacesRunning: false, token: newToken, summary: nil)
        }
        let responder = MonitoringResponder(reader: reader, exposition: exposition, health: health, token: token)
        let started = try HTTPListener(address: address, responder: responder, eventLoopGroup: eventLoopGroup, executor: executor, logger: logger)
        let auth = newToken == nil ? "no token" : "bearer token from \(http.tokenFile ?? "token_file")"
        return MonitoringChange(listener: started, replacesRunning: running != nil, token: newToken, summary: "listening on http://\(started.boundAddress)/ (\(auth))")
    }

    /// Puts a prepared change in force: the new token, the new listener, the old one stopped.
    public func commit(_ change: MonitoringChange) {
        token.replace(with: change.token)
        if change.replacesRunning || change.listener != nil {
            let old = listener.withLock { current in
                defer { current = change.listener }
                return current
            }
            old?.stop()
        }
        if let summary = change.summary { logger.info("monitoring HTTP server \(summary)") }
    }

    /// Drops a prepared change: its new listener, if any, is stopped; the running one stays.
    public func cancel(_ change: MonitoringChange) {
        change.listener?.stop()
    }

    /// Stops listening and closes every connection.
    public func stop() {
        listener.withLock { $0.take() }?.stop()
    }
}

/// A change of the monitoring server that ``MonitoringServer/prepare(_:)`` made ready and
/// ``MonitoringServer/commit(_:)`` or ``MonitoringServer/cancel(_:)`` completes.
public struct MonitoringChange: Sendable {
    fileprivate let listener: HTTPListener?
    fileprivate let replacesRunning: Bool
    fileprivate let token: BearerToken?
    /// What the change does, for the log: nil when the address stays the same.
    public let summary: String?
}
