/// A change of a connection's state, for logs and counters.
public enum NATSConnectionEvent: Equatable, Sendable {
    /// The first connection, made before ``NATSConnection/init(options:)`` returned.
    case connected(NATSServerAddress)
    /// The connection to a server was lost; `reason` says how.
    case disconnected(NATSServerAddress, reason: String)
    /// Connected again (possibly to another server); subscriptions are in place again and the
    /// publications held meanwhile have been sent.
    case reconnected(NATSServerAddress)
    /// The server sent `-ERR` with this text.
    case serverError(String)
    /// The connection is closed for good: by ``NATSConnection/close()``, or after the last
    /// reconnect attempt.
    case closed
}
