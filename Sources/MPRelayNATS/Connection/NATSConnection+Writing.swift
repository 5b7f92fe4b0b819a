import Dispatch
import Synchronization

extension NATSConnection {
    /// What to do with bytes when no server is connected.
    enum WriteMode {
        /// Keep them for the next server, within ``NATSConnectionOptions/maxPendingBytes``.
        case hold
        /// Drop them: the state they carry is re-sent on reconnect anyway (`SUB`, `UNSUB`, `PONG`).
        case drop
        /// Fail with ``NATSError/disconnected``.
        case fail
    }

    /// ``transmit(_:_:register:)`` of a whole array.
    func transmit(
        _ bytes: [UInt8],
        _ mode: WriteMode,
        register: (inout ConnectionState, _ connected: Bool) -> Bool = { _, _ in true }
    ) throws(NATSError) {
        try transmit(bytes[...], mode, register: register)
    }

    /// Sends `bytes` under the write lock, after `register` updated the state under the state lock.
    ///
    /// `register` learns whether the bytes will be sent now and returns whether to send (or hold)
    /// them at all. A send that fails shuts the socket down for the reader thread to reconnect,
    /// and holds the bytes as if the connection had already been down.
    func transmit(
        _ bytes: ArraySlice<UInt8>,
        _ mode: WriteMode,
        register: (inout ConnectionState, _ connected: Bool) -> Bool = { _, _ in true }
    ) throws(NATSError) {
        try writeLock.withLock { _ throws(NATSError) in
            let target = try state.withLock { state throws(NATSError) -> NATSSocket? in
                switch state.phase {
                case .closed:
                    throw .closed
                case .connected(let socket):
                    return register(&state, true) ? socket : nil
                case .disconnected:
                    if mode == .fail { throw .disconnected }
                    if mode == .hold { try hold(bytes, in: &state) }
                    _ = register(&state, false)
                    return nil
                }
            }
            guard let target else { return }
            do {
                try target.sendAll(bytes)
            } catch {
                target.shutdown()
                guard mode == .hold else { return }
                try state.withLock { state throws(NATSError) in try hold(bytes, in: &state) }
            }
        }
    }

    private func hold(_ bytes: ArraySlice<UInt8>, in state: inout ConnectionState) throws(NATSError) {
        guard state.pending.count + bytes.count <= options.maxPendingBytes else {
            throw .pendingBufferFull(limit: options.maxPendingBytes)
        }
        state.pending.append(contentsOf: bytes)
    }

    /// Subscribes the request inbox `<inboxPrefix>.*` once.
    func ensureInbox(_ queue: DispatchQueue) throws(NATSError) {
        guard state.withLock({ $0.inboxSID == nil }) else { return }
        let sid = nextSID.wrappingAdd(1, ordering: .relaxed).oldValue
        let record = ConnectionState.Subscription(subject: try Self.subject("\(inboxPrefix).*", wildcards: true), queueGroup: nil, queue: queue, handler: nil)
        try transmit(try Self.subscribeBytes(record, sid: sid), .drop) { state, _ in
            guard state.inboxSID == nil else { return false }
            state.inboxSID = sid
            state.subscriptions[sid] = record
            return true
        }
    }

    static func subject(_ text: String, wildcards: Bool) throws(NATSError) -> NATSSubject {
        do throws(NATSProtocolError) {
            return try NATSSubject(text, wildcards: wildcards)
        } catch {
            throw .protocolViolation(error)
        }
    }

    static func subscribeBytes(_ record: ConnectionState.Subscription, sid: UInt64) throws(NATSError) -> [UInt8] {
        var bytes: [UInt8] = []
        do throws(NATSProtocolError) {
            try NATSEncoder.subscribe(record.subject, queueGroup: record.queueGroup, sid: sid, into: &bytes)
        } catch {
            throw .protocolViolation(error)
        }
        return bytes
    }

    /// Calls the event handler, if any, on the event queue.
    func emit(_ event: NATSConnectionEvent) {
        guard let handler = options.onEvent else { return }
        options.eventQueue.async { handler(event) }
    }
}
