public import Dispatch
import Synchronization

/// Reports every change of the keys of a ``NATSKeyValue`` bucket that match a pattern: first the
/// latest revision of each such key, then ``NATSKeyValueEvent/initialValuesDone``, then each new
/// revision as it is stored, in order.
///
/// An ordered push consumer: an ephemeral consumer on the bucket's stream, in memory, without
/// acknowledgements, pushing to an inbox of its own, with flow control and idle heartbeats.
/// Each delivery's `$JS.ACK…` reply subject carries its consumer and stream sequences and the
/// count still pending; a gap in the consumer sequence, a heartbeat that names a later one than
/// the last received (deliveries lost on the way), or heartbeats that stop (a lost server, a
/// consumer the server dropped) make the watcher create a new consumer, on a new inbox, from the
/// revision after the last one it reported. A bucket keeps one revision per key, so what was missed meanwhile
/// arrives as the latest revision of each key that changed: never an older one, never one twice.
public final class NATSKeyValueWatcher: Sendable {
    private struct State {
        var consumer = ""
        var consumerSequence: UInt64 = 0
        var streamSequence: UInt64 = 0
        var initialValuesDone = false
        var lastActivity = DispatchTime.now()
        var stopped = false
        /// The current consumer's inbox; deliveries to older ones are ignored.
        var subscription: NATSSubscription?
    }

    /// How often the server sends a heartbeat while there is nothing to deliver.
    static let heartbeat: Duration = .seconds(1)

    private let store: NATSKeyValue
    private let filter: String
    private let headersOnly: Bool
    /// Where deliveries are checked and consumers (re)created, one at a time.
    private let queue = DispatchQueue(label: "mprelay.nats.kv-watch")
    private let handlerQueue: DispatchQueue
    private let handler: @Sendable (NATSKeyValueEvent) -> Void
    private let state = Mutex(State())

    init(store: NATSKeyValue, keys: String, headersOnly: Bool, on handlerQueue: DispatchQueue, handler: @escaping @Sendable (NATSKeyValueEvent) -> Void) {
        self.store = store
        filter = store.subjectPrefix + keys
        self.headersOnly = headersOnly
        self.handlerQueue = handlerQueue
        self.handler = handler
    }

    /// Creates the first consumer.
    func start() throws(NATSError) {
        _ = try NATSConnection.subject(filter, wildcards: true)
        let failure = queue.sync { () -> NATSError? in
            do throws(NATSError) {
                try createConsumer()
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            stop()
            throw failure
        }
        scheduleCheck()
    }

    /// Stops the reports and deletes the consumer.
    public func stop() {
        let (subscription, consumer) = state.withLock { state in
            state.stopped = true
            return (state.subscription, state.consumer)
        }
        subscription?.unsubscribe()
        if !consumer.isEmpty { deleteConsumer(consumer) }
    }

    /// Creates a consumer that delivers from the revision after the last one reported (the
    /// latest of each key at first). Runs on ``queue``.
    private func createConsumer() throws(NATSError) {
        dispatchPrecondition(condition: .onQueue(queue))
        let after = state.withLock { $0.streamSequence }
        let inbox = "_INBOX.kv." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let subscription = try store.connection.subscribe(to: inbox, on: queue) { [self] in receive($0) }
        struct Config: Encodable {
            let deliver_subject: String
            let deliver_policy: String
            let opt_start_seq: UInt64?
            let ack_policy = "none"
            let filter_subject: String
            let replay_policy = "instant"
            let flow_control = true
            let idle_heartbeat: Int64
            let headers_only: Bool
            let mem_storage = true
            let num_replicas = 1
        }
        struct Request: Encodable {
            let stream_name: String
            let config: Config
        }
        let config = Config(
            deliver_subject: inbox, deliver_policy: after == 0 ? "last_per_subject" : "by_start_sequence",
            opt_start_seq: after == 0 ? nil : after + 1, filter_subject: filter,
            idle_heartbeat: Int64(Self.heartbeat.milliseconds) * 1_000_000, headers_only: headersOnly
        )
        let info: JetStreamAPI.ConsumerInfo
        do {
            info = try JetStreamAPI.request(
                store.connection, "$JS.API.CONSUMER.CREATE.\(store.streamName)",
                body: JetStreamAPI.encode(Request(stream_name: store.streamName, config: config)),
                timeout: store.timeout, as: JetStreamAPI.ConsumerInfo.self
            )
        } catch {
            subscription.unsubscribe()
            throw error
        }
        let (reportDone, old) = state.withLock { state -> (Bool, (NATSSubscription?, String)) in
            let old = (state.subscription, state.consumer)
            state.subscription = subscription
            state.consumer = info.name
            state.consumerSequence = 0
            state.lastActivity = .now()
            guard !state.initialValuesDone, info.initialCount == 0 else { return (false, old) }
            state.initialValuesDone = true
            return (true, old)
        }
        old.0?.unsubscribe()
        if !old.1.isEmpty { deleteConsumer(old.1) }
        if reportDone { report(.initialValuesDone) }
    }

    private func deleteConsumer(_ name: String) {
        store.connection.request("$JS.API.CONSUMER.DELETE.\(store.streamName).\(name)", payload: [], timeout: store.timeout, on: queue) { _ in }
    }

    /// Handles one push: a heartbeat or flow-control request, or a revision. Runs on ``queue``.
    private func receive(_ message: NATSMessage) {
        guard state.withLock({ !$0.stopped && $0.subscription?.sid == message.sid }) else { return }
        if message.status == 100 {
            if let reply = message.replyTo { try? store.connection.publish(reply, payload: []) }
            if let stalled = message.headers?["Nats-Consumer-Stalled"] { try? store.connection.publish(stalled, payload: []) }
            let behind = state.withLock { state -> Bool in
                state.lastActivity = .now()
                guard let last = message.headers?["Nats-Last-Consumer"].flatMap({ UInt64($0) }) else { return false }
                return last != state.consumerSequence
            }
            if behind { try? createConsumer() }
            return
        }
        guard let reply = message.replyTo, let delivery = Delivery(reply), message.subject.hasPrefix(store.subjectPrefix) else { return }
        enum Next { case ignore, restart, report(done: Bool) }
        let next = state.withLock { state -> Next in
            guard delivery.consumer == state.consumer else { return .ignore }
            guard delivery.consumerSequence == state.consumerSequence + 1 else { return .restart }
            state.consumerSequence = delivery.consumerSequence
            state.streamSequence = delivery.streamSequence
            state.lastActivity = .now()
            let done = !state.initialValuesDone && delivery.pending == 0
            if done { state.initialValuesDone = true }
            return .report(done: done)
        }
        switch next {
        case .ignore:
            break
        case .restart:
            try? createConsumer()
        case .report(let done):
            let key = String(message.subject.dropFirst(store.subjectPrefix.count))
            report(.entry(NATSKeyValueEntry(
                bucket: store.bucket, key: key, value: message.payload, revision: delivery.streamSequence,
                operation: NATSKeyValueEntry.operation(message.headers)
            )))
            if done { report(.initialValuesDone) }
        }
    }

    private func report(_ event: NATSKeyValueEvent) {
        let handler = handler
        handlerQueue.async { handler(event) }
    }

    /// Every heartbeat interval: without a delivery or heartbeat for three of them, the consumer
    /// is gone or the server is; a new one takes over from the last revision reported.
    private func scheduleCheck() {
        queue.asyncAfter(deadline: .now() + .milliseconds(Self.heartbeat.milliseconds)) { [self] in
            let (stopped, silent) = state.withLock { state in
                (state.stopped, DispatchTime.now().uptimeNanoseconds - state.lastActivity.uptimeNanoseconds > 3 * UInt64(Self.heartbeat.milliseconds) * 1_000_000)
            }
            guard !stopped else { return }
            if silent, (try? createConsumer()) == nil { state.withLock { $0.lastActivity = .now() } }
            scheduleCheck()
        }
    }
}

/// The sequences in a push delivery's reply subject:
/// `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`, or the
/// newer form with a domain and an account hash after `$JS.ACK`.
struct Delivery: Equatable {
    let consumer: String
    let streamSequence: UInt64
    let consumerSequence: UInt64
    let pending: UInt64

    init?(_ reply: String) {
        let tokens = reply.split(separator: ".", omittingEmptySubsequences: false)
        guard tokens.count >= 9, tokens[0] == "$JS", tokens[1] == "ACK" else { return nil }
        let base = tokens.count == 9 ? 2 : 4
        guard tokens.count >= base + 7, let stream = UInt64(tokens[base + 3]), let consumer = UInt64(tokens[base + 4]),
            let pending = UInt64(tokens[base + 6])
        else { return nil }
        self.consumer = String(tokens[base + 1])
        streamSequence = stream
        consumerSequence = consumer
        self.pending = pending
    }
}

extension NATSKeyValue {
    /// Watches the keys matching `keys` (`>` for all, `*` for one token): `handler` is called on
    /// `queue` with each ``NATSKeyValueEvent``, in order, until ``NATSKeyValueWatcher/stop()``.
    ///
    /// - Throws: ``NATSError/protocolViolation(_:)`` for a bad pattern, or the JetStream call's failure.
    public func watch(keys: String = ">", on queue: DispatchQueue, handler: @escaping @Sendable (NATSKeyValueEvent) -> Void) throws(NATSError) -> NATSKeyValueWatcher {
        let watcher = NATSKeyValueWatcher(store: self, keys: keys, headersOnly: false, on: queue, handler: handler)
        try watcher.start()
        return watcher
    }
}

extension NATSKeyValueWatcher {
    /// The latest revision of every key, markers included, read through a short headers-only watch.
    static func snapshot(of store: NATSKeyValue) throws(NATSError) -> [NATSKeyValueEntry] {
        let entries = Mutex<[NATSKeyValueEntry]>([])
        let waiter = NATSWaiter<Void>()
        let watcher = NATSKeyValueWatcher(store: store, keys: ">", headersOnly: true, on: DispatchQueue(label: "mprelay.nats.kv-keys")) { event in
            switch event {
            case .entry(let entry): entries.withLock { $0.append(entry) }
            case .initialValuesDone: waiter.resolve(.success(()))
            }
        }
        try watcher.start()
        defer { watcher.stop() }
        try waiter.wait(timeout: store.timeout, operation: "listing the keys of bucket \(store.bucket)")
        return entries.withLock { $0 }
    }
}
