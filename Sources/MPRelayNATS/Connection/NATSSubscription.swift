/// A subscription made with ``NATSConnection/subscribe(to:queueGroup:on:handler:)``.
///
/// It lasts until ``unsubscribe()`` or the connection's close, across reconnects.
public struct NATSSubscription: Sendable {
    /// The subscription id on the wire.
    public let sid: UInt64
    /// The subject (possibly with wildcards).
    public let subject: String
    let connection: NATSConnection

    /// Stops the deliveries: the handler is not called for messages that arrive after this.
    public func unsubscribe() {
        connection.unsubscribe(sid: sid)
    }
}
