import CMPRelayShims
import Dispatch
import Glibc
import Synchronization

/// Tells sockets' owners that they can read or write, and runs their handler on their own serial
/// queue, from the thread that saw the event when it can.
///
/// Dispatch sources cost three thread wake-ups per message on Linux: libdispatch's manager thread
/// wakes from `epoll_wait`, wakes a worker thread for the handler, and is woken again through an
/// eventfd to re-arm the source; creating and cancelling sources goes through that thread too.
/// That was most of a relayed round trip and of a handshake. Here a thread per CPU waits in
/// `epoll_wait` on edge-triggered registrations, which never need re-arming, and enters the
/// owner's queue with `sync`, which runs the handler on the waiting thread: one wake-up per
/// message, and every connection's state stays confined to its queue.
///
/// A handler reads for one bounded turn and returns whether it emptied the socket. One that did not
/// (a peer sending faster than it is served) continues in turns queued with `async`, on Dispatch's
/// threads, until it does; events for it meanwhile join the one queued turn, so a flooding peer
/// never holds a poller thread for more than one turn.
final class ReadinessPoller: Sendable {
    /// What a registration is known by; events for a token no longer registered are dropped.
    struct Registration: Hashable, Sendable {
        fileprivate let token: UInt64
        fileprivate let fd: Int32
    }

    /// What a socket is ready for.
    struct Readiness: OptionSet, Sendable {
        let rawValue: UInt8
        /// Bytes to read, end of file or an error: a read will not block.
        static let readable = Readiness(rawValue: 1)
        /// Room in the send buffer again after a write would have blocked.
        static let writable = Readiness(rawValue: 2)
    }

    /// One registration's handler and whether it is being served in queued turns.
    private final class Watch: Sendable {
        let queue: DispatchQueue
        let handler: @Sendable (Readiness) -> Bool
        /// The last read turn stopped before the socket was empty: turns go through `async`.
        let backlogged = Atomic<Bool>(false)
        /// A turn is queued and has not started yet.
        let turnQueued = Atomic<Bool>(false)
        /// What the queued turn is to handle.
        let pending = Atomic<UInt8>(0)

        init(queue: DispatchQueue, handler: @escaping @Sendable (Readiness) -> Bool) {
            self.queue = queue
            self.handler = handler
        }

        func ready(_ readiness: Readiness) {
            if backlogged.load(ordering: .acquiring) {
                queueTurn(readiness)
            } else {
                queue.sync { turn(readiness) }
            }
        }

        private func turn(_ readiness: Readiness) {
            guard !readiness.isEmpty else { return }
            let drained = handler(readiness)
            guard readiness.contains(.readable) else { return }
            backlogged.store(!drained, ordering: .releasing)
            if !drained { queueTurn(.readable) }
        }

        /// Queues a turn for `readiness`, or adds it to the turn already queued.
        func queueTurn(_ readiness: Readiness) {
            pending.bitwiseOr(readiness.rawValue, ordering: .acquiringAndReleasing)
            guard !turnQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
            queue.async { [self] in
                turnQueued.store(false, ordering: .releasing)
                turn(Readiness(rawValue: pending.exchange(0, ordering: .acquiringAndReleasing)))
            }
        }
    }

    /// The poller every broker in this process shares, with a thread per CPU (at most 16).
    static let shared = ReadinessPoller(threads: min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), 16))

    private let epollFD: Int32
    private let watches = Mutex<[UInt64: Watch]>([:])
    private let nextToken = Atomic<UInt64>(1)

    private init(threads: Int) {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll_create1 failed: \(String(cString: strerror(errno)))")
        for index in 0..<threads {
            ServiceThread.start(name: "mprelay-poll-\(index)") { [self] in run() }
        }
    }

    /// Calls `handler` on `queue` whenever `fd` becomes readable, hung up or writable again,
    /// until ``cancel(_:)``.
    ///
    /// - Parameter handler: handles what the socket is ready for; for `.readable`, reads for one
    ///   turn and returns true when the socket is empty (`EAGAIN`, end of file, or the owner stopped
    ///   reading), false to be called again. The value is ignored for `.writable` alone.
    func watch(_ fd: Int32, on queue: DispatchQueue, handler: @escaping @Sendable (Readiness) -> Bool) -> Registration {
        let token = nextToken.add(1, ordering: .relaxed).oldValue
        watches.withLock { $0[token] = Watch(queue: queue, handler: handler) }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.u64 = token
        let status = epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        precondition(status == 0, "epoll_ctl(ADD, \(fd)) failed: \(String(cString: strerror(errno)))")
        return Registration(token: token, fd: fd)
    }

    /// Queues a read turn as if the socket had become readable: for an owner that stopped before
    /// `EAGAIN` on its own account (an edge-triggered registration reports no data twice).
    func wake(_ registration: Registration) {
        watches.withLock { $0[registration.token] }?.queueTurn(.readable)
    }

    /// Stops watching. A turn already on its way may still run once afterwards: handlers check
    /// that they still want to read. Call before closing the descriptor.
    func cancel(_ registration: Registration) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, registration.fd, &event)
        _ = watches.withLock { $0.removeValue(forKey: registration.token) }
    }

    private func run() {
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            let count = mprelay_epoll_wait(epollFD, events, Int32(capacity), -1)
            if count < 0 {
                precondition(errno == EINTR, "epoll_wait failed: \(String(cString: strerror(errno)))")
                continue
            }
            for index in 0..<Int(count) {
                let token = events[index].data.u64
                let flags = events[index].events
                var readiness: Readiness = []
                if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                    readiness.insert(.readable)
                }
                if flags & EPOLLOUT.rawValue != 0 { readiness.insert(.writable) }
                watches.withLock { $0[token] }?.ready(readiness)
            }
        }
    }
}
