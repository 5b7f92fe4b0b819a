import Dispatch
import Glibc
import Logging
import MPRelayBroker
import MPRelayCluster
import MPRelayCommon
import MPRelayConfig
import MPRelayControl
import MPRelayControlServer
import MPRelayHTTP
import MPRelayLauncher
import MPRelayLogging
import MPRelaySystemd
import Synchronization

/// The launcher: process set-up, the broker's start, and the signals that reload or stop it.
final class Daemon: Sendable {
    let logger = Logger(label: "mprelayd")
    let broker: Broker
    /// The reports the control socket and the HTTP server both serve.
    private let snapshots: RelaySnapshots
    /// The `[http]` monitoring server; listens only when `[http] listen` is set.
    let monitoring: MonitoringServer
    private let configuration: Configuration
    private let levelControl: LogLevelControl
    /// Where every log line goes; flushed before the process exits.
    private let logOutput: LogOutput
    let environment: [String: String]
    private let signalQueue = DispatchQueue(label: "MainProcess.signals")
    /// Reloads, one at a time, off ``signalQueue``: a reload waits for its child check, and
    /// SIGTERM, STATUS= and the watchdog must not wait with it.
    private let reloadQueue = DispatchQueue(label: "MainProcess.reload")
    /// Set by the first SIGTERM or SIGINT; later reloads are refused.
    private let stopping = Atomic<Bool>(false)
    /// The control socket while it listens: set once started, taken at shutdown.
    private let control = Mutex<ControlServer?>(nil)
    /// Readiness, status, reload and watchdog notifications to systemd; no-ops outside it.
    let notifier = SystemdNotifier()

    /// The file a reload re-reads, or nil for the embedded default.
    private let configurationPath: String?

    init(
        configuration: Configuration,
        path: String?,
        levelControl: LogLevelControl,
        logOutput: LogOutput,
        environment: [String: String],
        inheritedSockets: [String: [Int32]]
    ) {
        self.configuration = configuration
        self.configurationPath = path
        self.levelControl = levelControl
        self.logOutput = logOutput
        self.environment = environment
        self.broker = Broker(settings: BrokerSettings(configuration), logger: logger, inheritedSockets: inheritedSockets)
        self.snapshots = RelaySnapshots(broker: broker, levelControl: levelControl, configuration: configuration)
        self.monitoring = MonitoringServer(snapshots: snapshots, logger: logger)
    }

    /// Starts the broker and never returns: the process exits when a shutdown has drained.
    func run() throws -> Never {
        signal(SIGPIPE, SIG_IGN)
        for warning in configuration.warnings { logger.warning("\(configuration.source): \(warning)") }
        raiseDescriptorLimit()
        joinCluster()
        do {
            try broker.start()
        } catch {
            logger.critical("cannot listen: \(error)")
            exitAfterLogging(1)
        }
        startControl()
        startMonitoring(configuration.http)
        let signalSources = installSignalHandlers()
        let membership = configuration.cluster.map { ", node \($0.node) of cluster \($0.name)" } ?? ""
        logger.info("ready: mprelayd \(MPRelayVersion.current), pid \(getpid()), configuration \(configuration.source)\(membership)")
        notify { try $0.ready(status: statusLine()) }
        monitoring.markReady()
        let timers = startSystemdTimers(on: signalQueue)
        withExtendedLifetime((signalSources, timers)) { SignalMask.parkMainThread() }
    }

    /// Joins the `[cluster]`, if any, before listening: NATS servers that start at the same time
    /// (a JetStream cluster electing its leaders after a reboot) get ``clusterJoinPatience`` to
    /// answer; after that mprelayd exits with status 1, for systemd to try again. When every
    /// server refuses the node (its certificate, CA or credentials), it exits at once: waiting
    /// would not change the answer.
    private func joinCluster() {
        let deadline = ContinuousClock.now + Self.clusterJoinPatience
        while true {
            do {
                try broker.joinCluster()
                return
            } catch {
                if error.isPermanent {
                    logger.critical("cannot join the cluster: \(error) (every server refused this node: trying again cannot help)")
                    exitAfterLogging(1)
                }
                guard ContinuousClock.now < deadline else {
                    logger.critical("cannot join the cluster: \(error)")
                    exitAfterLogging(1)
                }
                logger.warning("cannot join the cluster yet, trying again in 1 s: \(error)")
                sleep(1)
            }
        }
    }

    /// How long mprelayd keeps trying to join its cluster at start.
    static let clusterJoinPatience = Duration.seconds(20)

    /// Opens the control socket unless `[control] enabled = false`. The relay does not depend on
    /// it: when it cannot be opened, that is logged and the relay runs without it.
    private func startControl() {
        guard configuration.control.enabled else {
            logger.info("control socket disabled by [control] enabled = false")
            return
        }
        let server = ControlServer(
            configuration: configuration,
            environment: environment,
            snapshots: snapshots,
            logger: logger
        ) { [self] in
            reloadQueue.sync { reloadUnlessStopping() }
        }
        do {
            try server.start()
            control.withLock { $0 = server }
        } catch {
            logger.error("no control socket, the relay runs without it: \(error)")
        }
    }

    /// Raises the soft descriptor limit to the hard one and says how many peers that allows.
    private func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let reserved: rlim_t = 64
        let usable = limit.rlim_cur > reserved ? Int(limit.rlim_cur - reserved) : 0
        let effective = min(usable, configuration.broker.maxConnections)
        logger.info("file descriptor limit \(limit.rlim_cur): room for \(effective) connections (max_connections \(configuration.broker.maxConnections))")
        if usable < configuration.broker.maxConnections {
            logger.warning("max_connections \(configuration.broker.maxConnections) exceeds what the descriptor limit allows (\(usable)); raise LimitNOFILE")
        }
    }

    /// Routes SIGTERM and SIGINT to a drained shutdown and SIGHUP to a reload; the sources live as
    /// long as the process.
    private func installSignalHandlers() -> [any DispatchSourceSignal] {
        testWedgeSource(on: signalQueue) + [SIGTERM, SIGINT, SIGHUP].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: signalQueue)
            source.setEventHandler { [self] in
                if signalNumber == SIGHUP {
                    reloadQueue.async { [self] in _ = reloadUnlessStopping() }
                } else {
                    beginShutdown(signalNumber)
                }
            }
            source.activate()
            return source
        }
    }

    /// A reload on ``reloadQueue`` (SIGHUP, or the control socket's `reload`), refused once a
    /// shutdown has begun.
    private func reloadUnlessStopping() -> (applied: Bool, summary: String) {
        dispatchPrecondition(condition: .onQueue(reloadQueue))
        guard !stopping.load(ordering: .acquiring) else {
            logger.warning("reload refused: mprelayd is shutting down")
            return (false, "mprelayd is shutting down")
        }
        return reload()
    }

    /// Re-reads the configuration and applies it whole, or keeps the running one and says why.
    ///
    /// - Returns: whether the new configuration was applied, and a sentence saying what happened.
    private func reload() -> (applied: Bool, summary: String) {
        notify { try $0.reloading() }
        let result = reloadConfiguration()
        notify { try $0.ready(status: "\(statusLine()); last reload \(result.summary)") }
        return result
    }

    private func reloadConfiguration() -> (applied: Bool, summary: String) {
        guard let configurationPath else {
            logger.warning("reload: running on the embedded default, there is no file to re-read")
            return (false, "running on the embedded default: nothing to re-read")
        }
        let new: Configuration
        do {
            new = try ConfigLoader(environment: ProcessEnvironment.current).load(path: configurationPath)
        } catch {
            logger.error("reload rejected, the running configuration is unchanged: \(error)")
            return (false, "rejected: \(error)")
        }
        // The [cluster] table never changes while running, so the start configuration's is the
        // running one.
        if let refusal = ClusterConfig.reloadRefusal(running: configuration.cluster, new: new.cluster) {
            logger.error("reload rejected, the running configuration is unchanged: \(configurationPath): \(refusal)")
            return (false, "rejected: \(refusal)")
        }
        // Bound first and put in force last, so a refused reload leaves the old listener serving.
        let monitoringChange: MonitoringChange
        do {
            monitoringChange = try monitoring.prepare(new.http)
        } catch {
            logger.error("reload rejected, the running configuration is unchanged: \(error)")
            return (false, "rejected: \(error)")
        }
        do {
            let summary = try broker.reload(BrokerSettings(new))
            monitoring.commit(monitoringChange)
            snapshots.apply(new)
            levelControl.level = new.broker.logLevel
            control.withLock { $0 }?.apply(new)
            for warning in new.warnings { logger.warning("\(new.source): \(warning)") }
            logger.info("reload applied from \(configurationPath): \(summary)")
            return (true, "applied: \(summary)")
        } catch {
            monitoring.cancel(monitoringChange)
            logger.error("reload rejected, the running configuration is unchanged: \(error)")
            return (false, "rejected: \(error)")
        }
    }

    private func beginShutdown(_ signalNumber: Int32) {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        notify { try $0.stopping(status: "draining \(broker.connectionCount) connections") }
        extendStopTimeout(until: .now() + broker.drainTimeout)
        control.withLock { $0.take() }?.stop()
        monitoring.markDraining()
        logger.info("received \(signalNumber == SIGTERM ? "SIGTERM" : "SIGINT"): draining \(broker.connectionCount) connection(s)")
        broker.shutdown { [self] in
            logger.info("shut down")
            exitAfterLogging(0)
        }
    }

    /// Exits once the log lines queued so far are written, or after 2 s if the output is stuck.
    private func exitAfterLogging(_ status: Int32) -> Never {
        logOutput.flush(within: 2)
        exit(status)
    }
}
