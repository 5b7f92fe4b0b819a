import CMPRelayShims
import Dispatch
import Glibc
import MPRelayPOSIX
import Synchronization

/// The watchdog's probe along the path a message travels: a byte written into an internal
/// socket pair registered with the ``ReadinessPoller``, whose readiness a poller thread must see
/// and whose handler must run on a serial queue, as a connection's read turn does.
///
/// Wedged poller threads, or a poller that lost its registrations, leave the probe waiting, so
/// the watchdog stops being fed and systemd restarts the daemon.
final class RelayProbe: Sendable {
    private let queue = SerialQueue(label: "Connection-probe")
    private let local: Int32
    private let remote: Int32
    private let registration: ReadinessPoller.Registration
    /// Completions waiting for the next turn of the handler; a box, since the handler is made
    /// before `self` is whole.
    private final class Waiting: Sendable {
        let completions = Mutex<[@Sendable () -> Void]>([])
    }

    private let waiting = Waiting()

    /// Creates the socket pair and registers its reading end with the shared poller.
    ///
    /// - Throws: ``SocketError`` when the pair cannot be created or watched.
    init() throws(SocketError) {
        var fds: [Int32] = [0, 0]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
            throw SocketError("socketpair", target: "for the watchdog probe", errno: errno)
        }
        local = fds[0]
        remote = fds[1]
        let waiting = waiting
        let local = local
        do {
            registration = try ReadinessPoller.shared.watch(local, on: queue) { _ in
                var buffer = [UInt8](repeating: 0, count: 64)
                while case .transferred = buffer.withUnsafeMutableBytes({ SocketIO.read(local, into: $0) }) {}
                for completion in waiting.completions.withLock({ pending in defer { pending = [] }; return pending }) { completion() }
                return true
            }
        } catch {
            SystemCall.close(fds[0])
            SystemCall.close(fds[1])
            throw error
        }
    }

    /// Sends a probe; `completion` runs on the probe's queue once the handler has run after it.
    func send(_ completion: @escaping @Sendable () -> Void) {
        waiting.completions.withLock { $0.append(completion) }
        var byte: UInt8 = 1
        // A full pair (EAGAIN) already holds bytes the handler has yet to see: nothing is lost.
        _ = withUnsafeBytes(of: &byte) { SocketIO.write(remote, $0) }
    }

    deinit {
        ReadinessPoller.shared.cancel(registration)
        SystemCall.close(local)
        SystemCall.close(remote)
    }
}
