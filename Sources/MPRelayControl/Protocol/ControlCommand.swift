/// The name of a control command, as written in the `command` field of requests and answers.
public enum ControlCommand: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
    /// The daemon's version, uptime, endpoints, counts and totals.
    case status
    /// Every registered peer.
    case peers
    /// One registered peer.
    case peer
    /// Disconnects a peer with ERROR `kicked`.
    case kick
    /// Re-reads the configuration file, as SIGHUP does.
    case reload
    /// Changes the log level until the next reload.
    case logLevel = "log-level"
    /// Counters and gauges in the Prometheus text exposition format.
    case metrics

    /// The wire spelling, e.g. `log-level`.
    public var description: String { rawValue }
}
