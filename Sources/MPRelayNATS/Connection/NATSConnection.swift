public import Dispatch
import Foundation
import Synchronization

/// A connection to a NATS server of a list, kept up by reconnecting to the next one.
///
/// One reader thread per connection blocks in `recv`, answers the server's `PING`s, pings an idle
/// server itself (``NATSConnectionOptions/pingInterval``) and reconnects when the server goes away
/// or stops answering: it re-sends every subscription, then the publications held while no server
/// was up (at most ``NATSConnectionOptions/maxPendingBytes``). Writers send on the calling thread
/// under one write lock, so operations never interleave on the wire. Message handlers run on the
/// Dispatch queue each subscription names, in the order the server delivered.
///
/// The reader thread keeps the connection alive until ``close()``: close every connection made.
public final class NATSConnection: Sendable {
    /// The options it was created with.
    public let options: NATSConnectionOptions
    /// The prefix of this connection's reply subjects: `_INBOX.<random>`.
    public let inboxPrefix: String

    let state: Mutex<ConnectionState>
    /// Held while deciding whether to send and sending, so operations keep their order.
    let writeLock = Mutex(())
    let nextSID = Atomic<UInt64>(1)
    private let nextRequest = Atomic<UInt64>(1)
    /// Ends the wait between reconnect rounds when the connection is closed.
    let wakeUp = DispatchSemaphore(value: 0)
    /// Signalled by the reader thread when it has finished.
    private let finished = DispatchSemaphore(value: 0)

    /// Connects to the first server of the list that answers, and starts the reader thread.
    ///
    /// - Throws: ``NATSError/noServerAvailable(_:)`` listing why each server failed.
    public init(options: NATSConnectionOptions) throws(NATSError) {
        self.options = options
        inboxPrefix = "_INBOX." + String(UInt64.random(in: 0...UInt64.max), radix: 36) + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        var failures: [NATSError] = []
        for server in options.servers {
            do {
                let (socket, parser, info) = try Self.handshake(server, options)
                state = Mutex(ConnectionState(phase: .connected(socket), server: server, serverInfo: info))
                emit(.connected(server))
                Thread { [self] in
                    run(socket, parser)
                    finished.signal()
                }.start()
                return
            } catch {
                failures.append(error)
            }
        }
        throw .noServerAvailable(failures)
    }

    /// The server connected to now, or last.
    public var server: NATSServerAddress { state.withLock { $0.server } }

    /// The `INFO` of the server connected to now, or last.
    public var serverInfo: NATSServerInfo { state.withLock { $0.serverInfo } }

    /// Whether a server is connected now.
    public var isConnected: Bool {
        state.withLock { if case .connected = $0.phase { return true } else { return false } }
    }

    /// Publishes `payload` (with `headers`, as `HPUB`) to `subject`.
    ///
    /// While no server is up the publication is held and sent after the next handshake.
    /// - Throws: ``NATSError/pendingBufferFull(limit:)`` when the held publications would pass
    ///   the limit, ``NATSError/closed``, or ``NATSError/protocolViolation(_:)`` for an invalid
    ///   subject or header.
    public func publish(_ subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: [UInt8]) throws(NATSError) {
        var bytes: [UInt8] = []
        do throws(NATSProtocolError) {
            try NATSEncoder.publish(NATSSubject(subject), replyTo: replyTo.map { (reply) throws(NATSProtocolError) in try NATSSubject(reply) }, headers: headers, payload: payload, into: &bytes)
        } catch {
            throw .protocolViolation(error)
        }
        try transmit(bytes, .hold)
    }

    /// Publishes every message of `batch`, in order, in one write; held like ``publish(_:replyTo:headers:payload:)``'s
    /// while no server is up.
    ///
    /// - Throws: ``NATSError/pendingBufferFull(limit:)``, ``NATSError/closed``.
    public func publish(_ batch: NATSPublishBatch) throws(NATSError) {
        guard !batch.isEmpty else { return }
        try transmit(batch.bytes, .hold)
    }

    /// Publishes `publication`, sealed, in one write; held like
    /// ``publish(_:replyTo:headers:payload:)``'s while no server is up.
    public func publish(_ publication: NATSPublication) throws(NATSError) {
        try transmit(publication.bytes, .hold)
    }

    /// Subscribes to `subject` (wildcards allowed), optionally in a queue group; `handler` is
    /// called on `queue` for each message, and `afterEachRun` after each run of messages one read
    /// of the socket brought (for work better done once per run than once per message).
    ///
    /// With `queue` nil, both run on the connection's reader thread as the messages are read:
    /// one thread hop less per message, for handlers that do not block. Such a handler must
    /// never wait for an answer from this connection (``request(_:headers:payload:timeout:)`` or a
    /// key-value call): the reader thread that would read it is the one waiting.
    ///
    /// - Throws: ``NATSError/protocolViolation(_:)`` for an invalid subject or group,
    ///   ``NATSError/closed``.
    public func subscribe(
        to subject: String,
        queueGroup: String? = nil,
        on queue: DispatchQueue?,
        afterEachRun: (@Sendable () -> Void)? = nil,
        handler: @escaping @Sendable (NATSMessage) -> Void
    ) throws(NATSError) -> NATSSubscription {
        let sid = nextSID.wrappingAdd(1, ordering: .relaxed).oldValue
        let record = ConnectionState.Subscription(
            subject: try Self.subject(subject, wildcards: true),
            queueGroup: queueGroup,
            queue: queue,
            handler: handler,
            afterRun: afterEachRun
        )
        try transmit(try Self.subscribeBytes(record, sid: sid), .drop) { state, _ in
            state.subscriptions[sid] = record
            return true
        }
        return NATSSubscription(sid: sid, subject: subject, connection: self)
    }

    func unsubscribe(sid: UInt64) {
        var bytes: [UInt8] = []
        NATSEncoder.unsubscribe(sid: sid, into: &bytes)
        try? transmit(bytes, .drop) { state, _ in state.subscriptions.removeValue(forKey: sid) != nil }
    }

    /// Sends `PING` and waits for the `PONG`: everything sent before has been processed by the
    /// server.
    ///
    /// - Throws: ``NATSError/timeout(operation:)``, ``NATSError/disconnected``, ``NATSError/closed``.
    public func flush(timeout: Duration = .seconds(5)) throws(NATSError) {
        let waiter = NATSWaiter<Void>()
        var bytes: [UInt8] = []
        NATSEncoder.ping(into: &bytes)
        try transmit(bytes, .fail) { state, _ in
            state.pongWaiters.append(.flush(waiter))
            return true
        }
        try waiter.wait(timeout: timeout, operation: "flush")
    }

    /// Publishes a request with a reply subject of this connection's inbox and calls
    /// `completion` on `queue` with the first answer, or a failure: ``NATSError/noResponders(subject:)``
    /// at once when nobody listens, ``NATSError/timeout(operation:)`` after `timeout`.
    public func request(
        _ subject: String,
        headers: NATSHeaders? = nil,
        payload: [UInt8],
        timeout: Duration,
        on queue: DispatchQueue,
        completion: @escaping @Sendable (Result<NATSMessage, NATSError>) -> Void
    ) {
        let token = nextRequest.wrappingAdd(1, ordering: .relaxed).oldValue
        do throws(NATSError) {
            try ensureInbox(queue)
            var bytes: [UInt8] = []
            do throws(NATSProtocolError) {
                try NATSEncoder.publish(NATSSubject(subject), replyTo: NATSSubject("\(inboxPrefix).\(token)"), headers: headers, payload: payload, into: &bytes)
            } catch {
                throw .protocolViolation(error)
            }
            let request = ConnectionState.Request(subject: subject, queue: queue, completion: completion)
            try transmit(bytes, .hold) { state, _ in
                state.requests[token] = request
                return true
            }
        } catch {
            queue.async { completion(.failure(error)) }
            return
        }
        queue.asyncAfter(deadline: .now() + .milliseconds(timeout.milliseconds)) { [self] in
            guard let request = state.withLock({ $0.requests.removeValue(forKey: token) }) else { return }
            request.completion(.failure(.timeout(operation: "request to \(subject)")))
        }
    }

    /// ``request(_:headers:payload:timeout:on:completion:)``, blocking the calling thread.
    public func request(_ subject: String, headers: NATSHeaders? = nil, payload: [UInt8], timeout: Duration) throws(NATSError) -> NATSMessage {
        let waiter = NATSWaiter<NATSMessage>()
        request(subject, headers: headers, payload: payload, timeout: timeout, on: .global()) { waiter.resolve($0) }
        // The request's own timer answers first; the margin only covers a busy queue.
        return try waiter.wait(timeout: timeout + .seconds(1), operation: "request to \(subject)")
    }

    /// Closes the connection: the reader thread stops, waiting calls fail with ``NATSError/closed``.
    public func close() {
        let socket = state.withLock { state -> NATSSocket? in
            defer { state.phase = .closed }
            if case .connected(let socket) = state.phase { return socket }
            return nil
        }
        socket?.shutdown()
        wakeUp.signal()
        finished.wait()
        finished.signal()
    }
}
