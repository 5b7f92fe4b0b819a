public import Logging
public import MPRelayConfig
public import MPRelayPOSIX
import Dispatch
import Glibc
import MPRelayBroker
import MPRelayControl
import MPRelayLogging
import Synchronization

/// The daemon's control socket: accepts `mprelayctl` and other local clients, checks who they are,
/// and answers their JSON-line commands from the broker's snapshot API.
///
/// Everything runs on the server's own queue, never on a connection's: a command reads only
/// atomics and locks, so a slow, hostile or stuck control client cannot stall the relay. Each
/// client is bounded (request line length, unread answer bytes, a timeout) and at most
/// `max_clients` are connected. docs/CONTROL.md describes the protocol.
public final class ControlServer: @unchecked Sendable {
    /// What a reload reports: whether the new configuration was applied, and a sentence.
    public typealias Reload = @Sendable () -> (applied: Bool, summary: String)

    /// The socket path.
    public let socketPath: String
    private let queue = DispatchQueue(label: "Control")
    private let logger: Logger
    private let commands: ControlCommands
    private let snapshots: RelaySnapshots
    private let current: Mutex<Configuration>
    private let listener = Mutex<ListeningSocket?>(nil)
    private let createDirectory: Bool
    private let daemonUID = geteuid()

    // Confined to `queue` (checked where it is used): hence `@unchecked Sendable`.
    private var acceptSource: (any DispatchSourceRead)?
    private var paused = false
    private var clients: [Int: ControlClient] = [:]
    private var nextClientID = 1

    /// Creates a server for `configuration.control`; nothing listens until ``start()``.
    ///
    /// - Parameters:
    ///   - configuration: the running configuration; ``apply(_:)`` replaces it after a reload.
    ///   - environment: for the default socket path in the runtime directory.
    ///   - snapshots: what `status`, `peers`, `peer` and `metrics` answer, shared with the HTTP
    ///     server; its broker is what `kick` acts on and its level control what `log-level` changes.
    ///   - logger: for refusals, drops and commands that change something.
    ///   - reload: what `reload` runs; the daemon's own reload, the same as SIGHUP's.
    public init(
        configuration: Configuration,
        environment: [String: String],
        snapshots: RelaySnapshots,
        logger: Logger,
        reload: @escaping Reload
    ) {
        self.socketPath = configuration.control.socketPath(environment: environment)
        self.createDirectory = configuration.control.socket == nil
        self.current = Mutex(configuration)
        var logger = logger
        logger[metadataKey: MultiprocessingLogHandler.processNameKey] = "Control"
        self.logger = logger
        self.snapshots = snapshots
        self.commands = ControlCommands(snapshots: snapshots, reload: reload, logger: logger)
    }

    /// Binds the socket file and starts accepting.
    ///
    /// - Throws: ``SocketError`` when the path is in use, not a socket, or cannot be bound.
    public func start() throws(SocketError) {
        let settings = current.withLock { $0.control }
        let opened = try ControlListener.open(path: socketPath, mode: settings.mode, createDirectory: createDirectory)
        listener.withLock { $0 = opened }
        queue.sync {
            let source = DispatchSource.makeReadSource(fileDescriptor: opened.fd, queue: queue)
            source.setEventHandler { [self] in acceptAll(opened.fd) }
            source.setCancelHandler { SystemCall.close(opened.fd) }
            acceptSource = source
            source.activate()
        }
        logger.info("control socket listening on \(socketPath) (mode 0\(String(settings.mode, radix: 8)))")
    }

    /// Takes a reloaded configuration: access lists and client limits apply to clients that
    /// connect from now on; `enabled`, `socket` and `mode` only at the next start, which is logged.
    ///
    /// Never waits for the server's queue, so it is safe from any thread, including a reload
    /// that a control command started.
    public func apply(_ configuration: Configuration) {
        let previous = current.withLock { current in
            defer { current = configuration }
            return current.control
        }
        let new = configuration.control
        if new.enabled != previous.enabled || new.socket != previous.socket || new.mode != previous.mode {
            logger.warning("[control] enabled, socket and mode take effect when mprelayd restarts; the control socket stays \(socketPath)")
        }
    }

    /// Stops accepting, removes the socket file and closes every control client.
    ///
    /// Returns at once (the queue's work finishes later), so it is safe from a signal handler's
    /// queue while a control command waits on that queue.
    public func stop() {
        guard let opened = listener.withLock({ listener in defer { listener = nil }; return listener }) else { return }
        opened.removeFile()
        queue.async { [self] in
            if paused { acceptSource?.resume() }
            paused = false
            acceptSource?.cancel()
            acceptSource = nil
            for client in Array(clients.values) { client.close() }
        }
    }

    // MARK: Accepting

    /// Accepts until the backlog is empty: the source fires once per batch.
    private func acceptAll(_ listeningFD: Int32) {
        dispatchPrecondition(condition: .onQueue(queue))
        while true {
            do throws(SystemCallError) {
                guard let fd = try SystemCall.accept(listeningFD) else { return }
                admit(fd)
            } catch {
                switch error.errno {
                case ECONNABORTED:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    logger.error("accept on the control socket failed: \(String(cString: strerror(error.errno))); pausing for 100 ms")
                    pauseAccepting()
                    return
                default:
                    logger.error("accept on the control socket failed: \(String(cString: strerror(error.errno)))")
                    return
                }
            }
        }
    }

    private func admit(_ fd: Int32) {
        let settings = current.withLock { $0.control }
        guard let caller = PeerCredentials.of(fd) else {
            logger.warning("refused a control client whose credentials the kernel would not give: \(String(cString: strerror(errno)))")
            SystemCall.close(fd)
            return
        }
        if let refusal = ControlAccess(daemonUID: daemonUID, configuration: settings).refusal(of: caller) {
            logger.warning("refused control client \(caller): \(refusal)")
            let message = "permission denied: \(refusal). An operator can add uid \(caller.uid) to [control] allow_users, or one of its groups to allow_groups, and reload mprelayd"
            refuse(fd, ControlFailure(.permissionDenied, message))
            return
        }
        guard clients.count < settings.maxClients else {
            logger.warning("refused control client \(caller): max_clients (\(settings.maxClients)) control clients are connected")
            refuse(fd, ControlFailure(.tooManyClients, "\(settings.maxClients) control clients are connected (max_clients); try again later"))
            return
        }
        let id = nextClientID
        nextClientID += 1
        let client = ControlClient(
            id: id,
            fd: fd,
            credentials: caller,
            queue: queue,
            limits: ControlLimits(settings),
            logger: logger,
            respond: { [self] client, line in respond(to: line, from: client) },
            closed: { [self] client in
                clients[client.id] = nil
                snapshots.setControlClients(clients.count)
            }
        )
        clients[id] = client
        snapshots.setControlClients(clients.count)
        client.start()
        logger.debug("control client \(caller) connected")
    }

    /// Tells a refused client why in one line, without waiting for it, and closes.
    private func refuse(_ fd: Int32, _ failure: ControlFailure) {
        // Read what it may have sent already, so closing does not reset the connection before
        // it reads the answer.
        var scratch = [UInt8](repeating: 0, count: 4_096)
        var reads = 0
        while reads < 16, case .transferred = scratch.withUnsafeMutableBytes({ SocketIO.read(fd, into: $0) }) {
            reads += 1
        }
        Self.sendBestEffort(fd, Self.failureLine(failure, command: nil))
        SystemCall.shutdown(fd, Int32(SHUT_WR))
        SystemCall.close(fd)
    }

    /// Out of descriptors: stop the source from spinning on a backlog it cannot take, retry soon.
    private func pauseAccepting() {
        guard !paused, let acceptSource else { return }
        paused = true
        acceptSource.suspend()
        queue.asyncAfter(deadline: .now() + 0.1) { [self] in
            guard paused else { return }
            paused = false
            self.acceptSource?.resume()
        }
    }

    // MARK: Answering

    private func respond(to line: ArraySlice<UInt8>, from client: ControlClient) -> [UInt8] {
        dispatchPrecondition(condition: .onQueue(queue))
        let maxAnswerBytes = current.withLock { $0.control.maxAnswerBytes }
        let request: ControlRequest
        do {
            request = try ControlRequest.parse(line)
        } catch {
            logger.debug("control client \(client.credentials): \(error)")
            return Self.failureLine(error, command: nil)
        }
        let answer = commands.run(request, caller: client.credentials)
        guard answer.count <= maxAnswerBytes else {
            let failure = ControlFailure(.answerTooLarge, "the answer is \(answer.count) bytes, more than max_answer_bytes (\(maxAnswerBytes)); ask for one peer with `peer NAME`, or raise max_answer_bytes")
            return Self.failureLine(failure, command: request.command)
        }
        return answer
    }

    /// A failed answer as one line.
    static func failureLine(_ failure: ControlFailure, command: ControlCommand?) -> [UInt8] {
        // Strings and integers only: encoding cannot fail.
        try! ControlProtocol.line(ControlAnswer<NoResult>(command: command, failure: failure))
    }

    /// One nonblocking send of `bytes`; whatever does not fit is dropped.
    static func sendBestEffort(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { SocketIO.write(fd, $0, flags: Int32(MSG_DONTWAIT)) }
    }
}
