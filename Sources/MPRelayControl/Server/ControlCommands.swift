import Glibc
import Logging
import MPRelayBroker
import MPRelayConfig
import MPRelayProtocol

/// Runs control requests against the broker and the daemon, each answer as one JSON line.
///
/// Reads only the broker's snapshot API (atomics and locks): no command waits on a peer's queue.
struct ControlCommands: Sendable {
    let broker: Broker
    let levelControl: LogLevelControl
    let reload: ControlServer.Reload
    let logger: Logger
    let clock = DaemonClock()

    /// Runs `request`; `configuration` is the running one and `caller` who asked, for the log.
    func run(_ request: ControlRequest, configuration: Configuration, caller: PeerCredentials, controlClients: Int) -> [UInt8] {
        do {
            switch request {
            case .status:
                return try line(.status, status(configuration))
            case .peers:
                return try line(.peers, PeerList(peers: broker.peers.map { PeerReport($0, now: clock.now) }))
            case .peer(let name):
                try validate(name)
                guard let peer = broker.peer(named: name) else { throw unknownPeer(name) }
                return try line(.peer, PeerReport(peer, now: clock.now))
            case .kick(let name, let reason):
                try validate(name)
                let reason = reason ?? ControlRequest.defaultKickReason
                guard broker.kick(name, reason: reason) else { throw unknownPeer(name) }
                logger.info("control client \(caller): kick \(name): \(reason)")
                return try line(.kick, KickReport(name: name, reason: reason))
            case .reload:
                logger.info("control client \(caller): reload")
                let outcome = reload()
                guard outcome.applied else { throw ControlFailure(.reloadRejected, outcome.summary) }
                return try line(.reload, ReloadReport(summary: outcome.summary))
            case .logLevel(let level):
                return try line(.logLevel, changeLogLevel(to: level, caller: caller))
            case .metrics:
                let text = MetricsExposition.render(
                    status: status(configuration),
                    peers: broker.peers,
                    controlClients: controlClients,
                    logLinesDropped: LogOutput.droppedInProcess
                )
                return try line(.metrics, MetricsReport(text: text))
            }
        } catch let failure as ControlFailure {
            return ControlServer.failureLine(failure, command: request.command)
        } catch {
            return ControlServer.failureLine(ControlFailure(.badRequest, "the answer could not be encoded: \(error)"), command: request.command)
        }
    }

    /// The `status` result.
    func status(_ configuration: Configuration) -> StatusReport {
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
            )
        )
    }

    private func changeLogLevel(to level: LogLevel, caller: PeerCredentials) -> LogLevelReport {
        let previous = levelControl.level
        // Logged while the more verbose of the two levels is in force, so the line is kept.
        if level <= previous { levelControl.level = level }
        logger.info("control client \(caller): log level \(previous.rawValue) -> \(level.rawValue) until the next reload")
        levelControl.level = level
        return LogLevelReport(previous: previous.rawValue, level: level.rawValue)
    }

    private func validate(_ name: String) throws(ControlFailure) {
        do {
            _ = try PeerName(name)
        } catch {
            throw ControlFailure(.invalidArgument, "\"\(name)\" is not a peer name: \(error)")
        }
    }

    private func unknownPeer(_ name: String) -> ControlFailure {
        ControlFailure(.unknownPeer, "no peer named \"\(name)\" is registered; `mprelayctl peers` lists them")
    }

    private func line<Result: Codable & Sendable>(_ command: ControlCommand, _ result: Result) throws -> [UInt8] {
        try ControlProtocol.line(ControlAnswer(command: command, result: result))
    }
}
