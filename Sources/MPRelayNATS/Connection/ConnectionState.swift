import Dispatch

/// What a ``NATSConnection`` shares between its reader thread and its callers, behind one lock.
struct ConnectionState {
    enum Phase {
        case connected(NATSSocket)
        case disconnected
        case closed
    }

    /// A subscription to re-send on every reconnect; no handler means the request inbox.
    struct Subscription {
        let subject: NATSSubject
        let queueGroup: String?
        /// Where the handler runs; nil: on the reader thread.
        let queue: DispatchQueue?
        let handler: (@Sendable (NATSMessage) -> Void)?
        /// Called on ``queue`` after each run of messages handed over at once (one read's).
        var afterRun: (@Sendable () -> Void)? = nil
    }

    /// A request waiting for its answer on the inbox.
    struct Request {
        let subject: String
        let queue: DispatchQueue
        let completion: @Sendable (Result<NATSMessage, NATSError>) -> Void
    }

    /// Who waits for the next `PONG`: `PONG`s answer `PING`s in order.
    enum PongWaiter {
        case keepalive
        case flush(NATSWaiter<Void>)
    }

    var phase: Phase
    var server: NATSServerAddress
    var serverInfo: NATSServerInfo
    /// Publications made while disconnected, sent first after the next handshake.
    var pending: [UInt8] = []
    var subscriptions: [UInt64: Subscription] = [:]
    var inboxSID: UInt64?
    var requests: [UInt64: Request] = [:]
    var pongWaiters: [PongWaiter] = []
    var outstandingPings = 0

    /// The waiters of the `PING`s sent on a connection now lost; the caller fails them.
    mutating func takeFlushWaiters() -> [NATSWaiter<Void>] {
        let waiters = pongWaiters.compactMap { waiter -> NATSWaiter<Void>? in
            if case .flush(let flush) = waiter { return flush }
            return nil
        }
        pongWaiters = []
        outstandingPings = 0
        return waiters
    }

    var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }
}
