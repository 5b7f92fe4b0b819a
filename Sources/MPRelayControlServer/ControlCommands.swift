import Glibc
import Logging
import MPRelayBroker
import MPRelayCommon
import MPRelayConfig
import MPRelayControl
import MPRelayLogging
import MPRelayProtocol

/// Runs control requests against the broker and the daemon, each answer as one JSON line.
///
/// Reads only the broker's snapshot API (atomics and locks): no command waits on a peer's queue.
struct ControlCommands: Sendable {
    let snapshots: RelaySnapshots
    let reload: ControlServer.Reload
    let logger: Logger

    private var broker: Broker { snapshots.broker }
    private var levelControl: LogLevelControl { snapshots.levelControl }

    /// Runs `request`; `caller` is who asked, for the log.
    func run(_ request: ControlRequest, caller: PeerCredentials) -> [UInt8] {
        do {
            switch request {
            case .status:
                return try line(.status, snapshots.status())
            case .peers:
                return try line(.peers, snapshots.peers())
            case .clusterPeers:
                return try line(.peers, snapshots.peers(cluster: true))
            case .peer(let name):
                try validate(name)
                guard let peer = snapshots.peer(named: name) else { throw unknownPeer(name) }
                return try line(.peer, peer)
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
                return try line(.metrics, snapshots.metrics())
            }
        } catch let failure as ControlFailure {
            return ControlServer.failureLine(failure, command: request.command)
        } catch {
            return ControlServer.failureLine(ControlFailure(.badRequest, "the answer could not be encoded: \(error)"), command: request.command)
        }
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
