import Dispatch
import Synchronization
import Glibc

extension NATSConnection {
    /// Connects to `server` and completes the handshake: `INFO`, then TLS if the server or the
    /// URL asks for it, then `CONNECT` and `PING`, then the `PONG` that says the credentials
    /// were accepted.
    static func handshake(_ server: NATSServerAddress, _ options: NATSConnectionOptions) throws(NATSError) -> (NATSSocket, NATSParser, NATSServerInfo) {
        var socket = try NATSSocket.connect(to: server, timeout: options.connectTimeout, ioTimeout: options.connectTimeout)
        var parser = NATSParser()
        var info: NATSServerInfo?
        var ponged = false
        var secured = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        do throws(NATSError) {
            while !ponged {
                let received = buffer.withUnsafeMutableBytes { socket.receive(into: $0) }
                guard case .bytes(let count) = received else {
                    throw .handshake(url: server.description, detail: "the server sent no INFO and PONG (\(received))")
                }
                var failure: String?
                var answer: [UInt8] = []
                do {
                    try buffer[..<count].withUnsafeBytes { bytes in
                        try parser.feed(bytes) { operation in
                            switch operation {
                            case .info(let received):
                                if info == nil {
                                    NATSEncoder.connect(options.connectPayload(tls: received.tlsRequired), into: &answer)
                                    NATSEncoder.ping(into: &answer)
                                }
                                info = received
                            case .pong: ponged = info != nil
                            case .ping: NATSEncoder.pong(into: &answer)
                            case .error(let text): failure = text
                            case .ok, .message: break
                            }
                        }
                    }
                } catch {
                    throw .handshake(url: server.description, detail: "\(error)")
                }
                if let failure {
                    let detail = "-ERR '\(failure)'"
                    // NATS answers credentials it does not accept with this error and no other.
                    let refusal = failure.lowercased().contains("authorization violation")
                    throw refusal ? .refused(url: server.description, detail: detail) : .handshake(url: server.description, detail: detail)
                }
                if let info, !secured {
                    socket = try secure(socket, info, options)
                    secured = true
                }
                if !answer.isEmpty { try socket.sendAll(answer) }
            }
        } catch {
            socket.close()
            throw error
        }
        socket.setTimeout(SO_RCVTIMEO, options.pingInterval)
        socket.setTimeout(SO_SNDTIMEO, options.writeTimeout)
        return (socket, parser, info!)
    }

    /// After the server's first `INFO`: the socket in TLS when the server requires it, as is
    /// when neither side asks for TLS. A client that asks for TLS (a TLS context, or a `tls://`
    /// URL) and a server that does not offer it fail: the `INFO` comes in clear, and whoever can
    /// rewrite it must not be able to talk the client out of TLS. A TLS server without
    /// ``NATSConnectionOptions/tls`` fails too.
    private static func secure(_ socket: NATSSocket, _ info: NATSServerInfo, _ options: NATSConnectionOptions) throws(NATSError) -> NATSSocket {
        let server = socket.address
        guard info.tlsRequired else {
            guard !server.requiresTLS, options.tls == nil else { throw .refused(url: server.description, detail: "the server does not offer TLS") }
            return socket
        }
        guard let context = options.tls else {
            throw .refused(url: server.description, detail: "the server requires TLS: set the connection's TLS context (a CA to check its certificate)")
        }
        return try socket.startTLS(context, serverName: options.tlsServerName ?? server.host)
    }

    /// Bytes read from the server at once at most: room for several of the messages a busy
    /// publisher batches (mprelayd's frames of up to 32 KiB), so that most arrive whole in one
    /// read and are parsed in place rather than gathered from several.
    static let readSize = 256 * 1024

    /// The reader thread: reads from the server until the connection is lost, then reconnects,
    /// until the connection is closed or the reconnect rounds run out.
    func run(_ first: NATSSocket, _ firstParser: NATSParser) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
        defer { buffer.deallocate() }
        var socket = first
        var parser = firstParser
        while true {
            let reason = read(socket, &parser, buffer)
            guard disconnect(socket, reason: reason) else { break }
            guard let (next, nextParser) = reconnect(after: socket.address) else { break }
            (socket, parser) = (next, nextParser)
            emit(.reconnected(socket.address))
        }
        let (waiters, requests) = state.withLock { state in
            state.phase = .closed
            defer { state.requests = [:] }
            return (state.takeFlushWaiters(), Array(state.requests.values))
        }
        for waiter in waiters { waiter.resolve(.failure(.closed)) }
        for request in requests { request.queue.async { request.completion(.failure(.closed)) } }
        emit(.closed)
    }

    /// Reads and handles operations until the connection fails; returns why it did.
    private func read(_ socket: NATSSocket, _ parser: inout NATSParser, _ buffer: UnsafeMutableRawBufferPointer) -> String {
        while true {
            switch socket.receive(into: buffer) {
            case .bytes(let count):
                var deliveries = DeliveryBatch()
                do {
                    try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count])) { handle($0, &deliveries) }
                } catch {
                    deliveries.dispatch()
                    return "\(error)"
                }
                deliveries.dispatch()
            case .timedOut:
                if let stale = keepalive() { return stale }
            case .closed:
                return "the server closed the connection"
            case .failed(let reason):
                return reason
            }
        }
    }

    /// Pings an idle server; returns a reason when too many pings went unanswered.
    private func keepalive() -> String? {
        let limit = options.maxOutstandingPings
        let stale = state.withLock { $0.outstandingPings >= limit }
        if stale { return "\(limit) PINGs went unanswered" }
        var bytes: [UInt8] = []
        NATSEncoder.ping(into: &bytes)
        try? transmit(bytes, .drop) { state, connected in
            guard connected else { return false }
            state.outstandingPings += 1
            state.pongWaiters.append(.keepalive)
            return true
        }
        return nil
    }

    private func handle(_ operation: NATSServerOperation, _ deliveries: inout DeliveryBatch) {
        switch operation {
        case .message(let view):
            deliver(view.message(), &deliveries)
        case .ping:
            var bytes: [UInt8] = []
            NATSEncoder.pong(into: &bytes)
            try? transmit(bytes, .drop)
        case .pong:
            let waiter = state.withLock { state -> ConnectionState.PongWaiter? in
                state.outstandingPings = 0
                return state.pongWaiters.isEmpty ? nil : state.pongWaiters.removeFirst()
            }
            if case .flush(let flush) = waiter { flush.resolve(.success(())) }
        case .info(let info):
            state.withLock { $0.serverInfo = info }
        case .error(let text):
            emit(.serverError(text))
        case .ok:
            break
        }
    }

    /// Hands a message to its subscription's handler (in `deliveries`, dispatched once the read
    /// is parsed), or to the request waiting for it.
    private func deliver(_ message: NATSMessage, _ deliveries: inout DeliveryBatch) {
        enum Action {
            case handler(ConnectionState.Subscription, @Sendable (NATSMessage) -> Void)
            case request(ConnectionState.Request)
        }
        let prefix = inboxPrefix
        let action = state.withLock { state -> Action? in
            if message.sid == state.inboxSID {
                guard message.subject.hasPrefix(prefix), let token = UInt64(message.subject.dropFirst(prefix.count + 1)),
                    let request = state.requests.removeValue(forKey: token)
                else { return nil }
                return .request(request)
            }
            guard let subscription = state.subscriptions[message.sid], let handler = subscription.handler else { return nil }
            return .handler(subscription, handler)
        }
        switch action {
        case .handler(let subscription, let handler):
            deliveries.append(message, to: handler, on: subscription.queue, afterRun: subscription.afterRun)
        case .request(let request):
            let result: Result<NATSMessage, NATSError> =
                message.status == 503 && message.payload.isEmpty ? .failure(.noResponders(subject: request.subject)) : .success(message)
            request.queue.async { request.completion(result) }
        case nil:
            break
        }
    }

    /// Marks the connection down and closes the socket; false when it was closed on purpose.
    private func disconnect(_ socket: NATSSocket, reason: String) -> Bool {
        let (closed, waiters) = writeLock.withLock { _ in
            let outcome = state.withLock { state -> (Bool, [NATSWaiter<Void>]) in
                if !state.isClosed { state.phase = .disconnected }
                return (state.isClosed, state.takeFlushWaiters())
            }
            socket.close()
            return outcome
        }
        for waiter in waiters { waiter.resolve(.failure(closed ? .closed : .disconnected)) }
        if !closed { emit(.disconnected(socket.address, reason: reason)) }
        return !closed
    }

    /// Tries the servers in turn, starting after `lost`, until one takes the connection back;
    /// nil when the connection was closed meanwhile or the rounds ran out.
    private func reconnect(after lost: NATSServerAddress) -> (NATSSocket, NATSParser)? {
        let servers = options.servers
        let start = (servers.firstIndex(of: lost) ?? -1) + 1
        var round = 0
        while true {
            for offset in 0..<servers.count {
                if state.withLock({ $0.isClosed }) { return nil }
                let server = servers[(start + offset) % servers.count]
                guard let (socket, parser, info) = try? Self.handshake(server, options) else { continue }
                if resume(on: socket, info: info) { return (socket, parser) }
                socket.close()
            }
            round += 1
            if let limit = options.maxReconnectRounds, round >= limit { return nil }
            _ = wakeUp.wait(timeout: .now() + .milliseconds(options.reconnectWait.milliseconds))
        }
    }

    /// Re-sends every subscription and the held publications, then marks the connection up.
    private func resume(on socket: NATSSocket, info: NATSServerInfo) -> Bool {
        writeLock.withLock { _ in
            let (subscriptions, pending, closed) = state.withLock { state in
                (state.subscriptions.sorted { $0.key < $1.key }, state.pending, state.isClosed)
            }
            guard !closed else { return false }
            var bytes: [UInt8] = []
            for (sid, subscription) in subscriptions {
                bytes += (try? Self.subscribeBytes(subscription, sid: sid)) ?? []
            }
            bytes += pending
            guard (try? socket.sendAll(bytes)) != nil else { return false }
            return state.withLock { state in
                guard !state.isClosed else { return false }
                state.pending = []
                state.phase = .connected(socket)
                state.server = socket.address
                state.serverInfo = info
                return true
            }
        }
    }
}
