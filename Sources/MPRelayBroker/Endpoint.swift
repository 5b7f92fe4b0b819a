import Crypto
import Dispatch
import Glibc
import Logging
import MPRelayCommon
import MPRelayPOSIX
import Synchronization

/// One listening address: accepts connections and hands each to a new ``Connection``.
final class Endpoint: @unchecked Sendable {
    private let current: Mutex<EndpointDescription>
    private let socket: ListeningSocket
    private let context: RelayContext
    private let queue: SerialQueue
    // Confined to `queue`.
    private var registration: ReadinessPoller.Registration?
    private var paused = false

    /// Binds `settings`' address, or adopts `inherited`, a listening socket systemd passed.
    init(_ settings: EndpointSettings, inherited: Int32?, context: RelayContext, index: Int) throws(SocketError) {
        if let inherited {
            self.socket = ListeningSocket.adopt(inherited)
        } else {
            self.socket = try ListeningSocket.open(settings.address, mode: settings.mode)
        }
        do {
            self.current = Mutex(try EndpointDescription(settings, boundAddress: socket.boundAddress))
        } catch {
            if !socket.isInherited { SystemCall.close(socket.fd) }
            socket.removeFile()
            throw error
        }
        self.context = context
        self.queue = SerialQueue(label: "Endpoint-\(index)")
    }

    var boundAddress: EndpointAddress { socket.boundAddress }

    /// What connections accepted from now on are checked against.
    var description: EndpointDescription { current.withLock { $0 } }

    /// Describes a reloaded endpoint table for this socket, loading its certificate anew (a
    /// renewed one at the same path included), without applying it yet.
    ///
    /// - Throws: ``SocketError`` naming the file that did not load.
    func describe(_ settings: EndpointSettings) throws(SocketError) -> EndpointDescription {
        try EndpointDescription(settings, boundAddress: socket.boundAddress)
    }

    /// Applies a reloaded description: new keys and certificates hold for connections accepted
    /// from now on.
    func update(_ description: EndpointDescription) {
        current.withLock { $0 = description }
    }

    /// Starts accepting.
    ///
    /// - Throws: ``SocketError`` when the poller cannot watch the listening socket.
    func start() throws(SocketError) {
        let failure = queue.sync { () -> SocketError? in
            do throws(SocketError) {
                registration = try ReadinessPoller.shared.watch(socket.fd, on: queue) { [self] readiness in
                    readiness.contains(.readable) ? acceptAvailable() : true
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Stops accepting, closes the socket and removes its file (a socket systemd passed stays open
    /// and its file stays: they are systemd's, and a reload may take the socket up again).
    /// Connections already accepted stay.
    func stop() {
        queue.sync {
            paused = false
            if let registration {
                ReadinessPoller.shared.cancel(registration)
                self.registration = nil
                if !socket.isInherited { SystemCall.close(socket.fd) }
            }
        }
        socket.removeFile()
    }

    /// Runs `work` on this endpoint's queue: proof that accepting is not wedged.
    func probe(_ group: DispatchGroup, _ work: @escaping @Sendable () -> Void) {
        queue.async(group: group, execute: work)
    }

    /// Accepts for one turn: until the backlog is empty (the poller reports a new connection only
    /// when the backlog was empty before it), or ``acceptsPerTurn`` connections, so that a burst
    /// of connections does not hold the poller's thread. Returns whether the backlog is empty.
    private func acceptAvailable() -> Bool {
        guard registration != nil, !paused else { return true }
        for _ in 0..<Self.acceptsPerTurn {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let accepted = Result { () throws(SystemCallError) in
                try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemCallError) in
                    try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SystemCallError) in
                        try SystemCall.accept(socket.fd, address: address, length: &length)
                    }
                }
            }
            let fd: Int32
            switch accepted {
            case .success(let descriptor?):
                fd = descriptor
            case .success(nil):
                return true
            case .failure(let error) where error.errno == ECONNABORTED:
                continue
            case .failure(let error) where [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errno):
                context.logger.error("accept on \(boundAddress) failed: \(String(cString: strerror(error.errno))); pausing accepts for 100 ms")
                pauseAccepting()
                return true
            case .failure(let error):
                context.logger.error("accept on \(boundAddress) failed: \(String(cString: strerror(error.errno)))")
                return true
            }
            let (remote, origin) = SocketPeer.describe(fd: fd, address: storage)
            admit(fd, remote: remote, origin: origin, isTCP: storage.ss_family != sa_family_t(AF_UNIX))
        }
        return false
    }

    /// Connections accepted before an endpoint lets other sockets' events through.
    static let acceptsPerTurn = 64

    private func admit(_ fd: Int32, remote: String, origin: String, isTCP: Bool) {
        if context.authFailures.isRefused(origin) {
            context.statistics.connectionsRefused.add(1, ordering: .relaxed)
            context.logger.debug("refused connection from \(remote) on \(boundAddress): too many failed handshakes from \(origin)")
            SystemCall.close(fd)
            return
        }
        if isTCP { SocketIO.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1) }
        let connection = Connection(fd: fd, remote: remote, origin: origin, listener: self, context: context)
        if let refusal = context.admit(connection) {
            context.logger.warning("refused connection from \(remote) on \(boundAddress): \(refusal)")
            SystemCall.close(fd)
            return
        }
        connection.logger.debug("accepted from \(remote) on \(boundAddress)")
        connection.start()
    }

    /// Out of descriptors: stop spinning on a backlog we cannot take, retry soon.
    private func pauseAccepting() {
        guard !paused else { return }
        paused = true
        queue.asyncAfter(deadline: .now() + 0.1) { [self] in
            guard paused, let registration else { return }
            paused = false
            ReadinessPoller.shared.wake(registration)
        }
    }
}
