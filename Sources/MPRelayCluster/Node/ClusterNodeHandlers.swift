public import MPRelayNATS
public import MPRelayProtocol

/// What a ``ClusterNode`` tells its owner, in order: frames from other nodes (``frame``,
/// ``deliveries``, ``afterFrames``) on the NATS connection's reader thread as they are read, so
/// they must not block or wait for NATS; everything else on the node's own queue.
public struct ClusterNodeHandlers: Sendable {
    /// Names that appeared or went away on other nodes, for JOINED and LEFT.
    public var presence: @Sendable ([PresenceChange]) -> Void
    /// A frame another node published to this one (deliveries too, unless ``deliveries`` is
    /// set); acknowledgements stay with the node.
    public var frame: @Sendable (ClusterFrame) -> Void
    /// A frame of deliveries another node published to this one, read in place; returns those
    /// without `confirm` it could not queue, ascending, which the node's acknowledgement
    /// answers with their ERROR. When nil, deliveries come to ``frame`` as
    /// ``ClusterFrame/deliveries(_:)``.
    public var deliveries: (@Sendable (IncomingDeliveries) -> [RefusedDeliveries])?
    /// Called after each run of frames one read from NATS brought, once they are all handled:
    /// for work better done once per run than once per frame (flushing the receivers).
    public var afterFrames: (@Sendable () -> Void)?
    /// Something to log: NATS connection changes, expired nodes, frames that did not decode.
    public var event: @Sendable (ClusterNodeEvent) -> Void

    /// Handlers for each kind of report.
    public init(
        presence: @escaping @Sendable ([PresenceChange]) -> Void,
        frame: @escaping @Sendable (ClusterFrame) -> Void,
        deliveries: (@Sendable (IncomingDeliveries) -> [RefusedDeliveries])? = nil,
        afterFrames: (@Sendable () -> Void)? = nil,
        event: @escaping @Sendable (ClusterNodeEvent) -> Void
    ) {
        self.presence = presence
        self.frame = frame
        self.deliveries = deliveries
        self.afterFrames = afterFrames
        self.event = event
    }
}

/// A change worth a log line, a counter, or (``claimLost(_:connection:)``) an action.
public enum ClusterNodeEvent: Equatable, Sendable {
    /// The NATS connection changed state.
    case nats(NATSConnectionEvent)
    /// `node` was silent past its lease; its `names` were deleted (by this node or another).
    case nodeExpired(String, names: Int)
    /// A frame published to this node did not decode.
    case malformedFrame(ClusterFrameError)
    /// This node's claim of a name, held for `connection`, was replaced by another node or
    /// deleted (this node was taken for dead): the local holder no longer owns the name.
    case claimLost(PeerName, connection: UInt64)
    /// A frame of deliveries reached no node: the node it was published to no longer subscribes
    /// (it stopped), and NATS said so. Their senders get ERROR `unknown peer`.
    case undeliverable([UndeliveredSend])
    /// Deliveries their receiving node reported lost: NATS never brought them there (a server
    /// failed with them on board). Their senders get ERROR `cluster unavailable`.
    case deliveriesLost([UndeliveredSend])
    /// Deliveries their receiving node could not queue for their receiver (its queue full, or
    /// the name gone), as its acknowledgement reported them: each sender gets that ERROR.
    case deliveriesRefused([UndeliveredSend], code: RelayErrorCode)
    /// A lease refresh, or a delete of an expired claim, failed; it is retried on the next turn.
    case bucketCallFailed(String)
}
