import CMPRelayShims
import Dispatch
import Glibc
import MPRelayPOSIX
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
/// Turns follow ``PollerTurn``: one at a time per registration, taken with a compare-and-exchange
/// rather than by waiting. An event for a registration whose turn is running elsewhere is noted and
/// the poller thread moves on, so a flooding peer occupies at most one poller thread, and a poller
/// thread never waits behind another thread's turn. Nor behind other work on the owner's queue (a
/// flush a sender queued, a timer's check): a ``SerialQueue`` counts it, and with work there the
/// turn is queued after it instead of entered with `sync`. A read turn that stops before the socket
/// is empty continues in turns queued with `async`, on Dispatch's threads. (Handing a flooding
/// peer's next events to its queue as well, to keep the poller threads for light turns, was
/// measured: under a 4 KiB flood it raised the ping-pong pair's p50 from about 55 to 70-105 µs on 2
/// CPUs, the extra Dispatch threads competing for the cores, with no gain at p99; so was a single
/// read per turn on a poller thread, which cut the pair's p99 under the flood further but the 4 KiB
/// throughput by 10-18%: docs/PERFORMANCE.md, "Isolation under a flood".)
///
/// Sockets are watched for reading only; ``expectRoom(_:_:)`` adds writability while a write is
/// pending, so that a socket whose peer reads does not wake a poller thread at every ACK.
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
        /// The peer closed or the socket failed (`EPOLLRDHUP`, `EPOLLHUP`, `EPOLLERR`), with
        /// ``readable``: read until end of file, the last bytes may have come with the close.
        static let closing = Readiness(rawValue: 4)
    }

    /// One registration's handler, whose turn it is, and whether it waits for room to write.
    private final class Watch: Sendable {
        let queue: SerialQueue
        let handler: @Sendable (Readiness) -> Bool
        /// A ``PollerTurn``'s byte.
        let turnState = Atomic<UInt8>(PollerTurn.idle.rawValue)
        /// Whether the registration includes `EPOLLOUT` now.
        let watchesRoom = Atomic<Bool>(false)

        init(queue: SerialQueue, handler: @escaping @Sendable (Readiness) -> Bool) {
            self.queue = queue
            self.handler = handler
        }

        /// Applies one ``PollerTurn`` transition atomically and returns what it decided.
        private func transition<Decision>(_ change: (inout PollerTurn) -> Decision) -> Decision {
            var expected = turnState.load(ordering: .relaxed)
            while true {
                var turn = PollerTurn(rawValue: expected)
                let decision = change(&turn)
                let (exchanged, found) = turnState.compareExchange(
                    expected: expected, desired: turn.rawValue, ordering: .acquiringAndReleasing)
                if exchanged { return decision }
                expected = found
            }
        }

        /// A poller thread saw an event: runs the turn here if nobody holds it, or hands it to
        /// the owner's queue when other work is queued there, which `sync` would wait behind.
        func ready(_ readiness: Readiness) {
            guard transition({ $0.arrive(readiness) }) == .enter else { return }
            if queue.isOccupied {
                queue.async { [self] in turn(readiness) }
            } else {
                queue.sync { turn(readiness) }
            }
        }

        /// The owner asked for a turn: queues one if nobody holds it.
        func wake() {
            guard transition({ $0.arrive(.readable) }) == .enter else { return }
            queue.async { [self] in turn(.readable) }
        }

        private func turn(_ readiness: Readiness) {
            let drained = handler(readiness) || !readiness.contains(.readable)
            guard case .next(let noted) = transition({ $0.finish(drained: drained) }) else { return }
            // A close not read up to yet stays known to the turns that read on.
            let next = !drained && readiness.contains(.closing) ? noted.union(.closing) : noted
            queue.async { [self] in turn(next) }
        }
    }

    /// The poller every broker in this process shares, with a thread per CPU (at most 16).
    static let shared = ReadinessPoller(threads: min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), 16))

    private let epollFD: Int32
    private let threadCount: Int
    private let watches = Mutex<[UInt64: Watch]>([:])
    private let nextToken = Atomic<UInt64>(1)

    /// Starts `threads` threads that wait for events for the life of the process; the daemon has
    /// one poller, ``shared``.
    init(threads: Int) {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll_create1 failed: \(String(cString: strerror(errno)))")
        threadCount = threads
        for index in 0..<threads {
            ServiceThread.start(name: "mprelay-poll-\(index)") { [self] in run() }
        }
    }

    /// Calls `handler` on `queue` whenever `fd` becomes readable or hung up (and writable again
    /// while ``expectRoom(_:_:)`` asks for it), until ``cancel(_:)``.
    ///
    /// - Parameter handler: handles what the socket is ready for; for `.readable`, reads for one
    ///   turn and returns true when the socket is empty (`EAGAIN`, end of file, or the owner stopped
    ///   reading), false to be called again. The value is ignored for `.writable` alone.
    /// - Throws: ``SocketError`` when the kernel refuses the registration (`epoll_ctl`).
    func watch(_ fd: Int32, on queue: SerialQueue, handler: @escaping @Sendable (Readiness) -> Bool) throws(SocketError) -> Registration {
        let token = nextToken.add(1, ordering: .relaxed).oldValue
        watches.withLock { $0[token] = Watch(queue: queue, handler: handler) }
        let registration = Registration(token: token, fd: fd)
        do {
            try control(EPOLL_CTL_ADD, registration, room: false)
        } catch {
            _ = watches.withLock { $0.removeValue(forKey: token) }
            throw error
        }
        return registration
    }

    /// Reports `.writable` from now on (a write would block: the handler flushes when there is
    /// room), or stops reporting it (everything is written). Costs a system call only when that
    /// changes. Call from the registration's queue, before ``cancel(_:)``.
    ///
    /// - Throws: ``SocketError`` when the kernel refuses the change (`epoll_ctl`).
    func expectRoom(_ registration: Registration, _ wanted: Bool) throws(SocketError) {
        guard let watch = watches.withLock({ $0[registration.token] }) else { return }
        guard watch.watchesRoom.exchange(wanted, ordering: .relaxed) != wanted else { return }
        try control(EPOLL_CTL_MOD, registration, room: wanted)
    }

    /// Queues a read turn as if the socket had become readable: for an owner that stopped before
    /// `EAGAIN` on its own account (an edge-triggered registration reports no data twice).
    func wake(_ registration: Registration) {
        watches.withLock { $0[registration.token] }?.wake()
    }

    /// Stops watching. A turn already on its way may still run once afterwards: handlers check
    /// that they still want to read. Call before closing the descriptor.
    func cancel(_ registration: Registration) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, registration.fd, &event)
        _ = watches.withLock { $0.removeValue(forKey: registration.token) }
    }

    #if DEBUG
    /// Blocks every poller thread for good, one after the other, so that the watchdog test can
    /// see systemd restart a daemon whose relay path stopped. Compiled into debug builds only.
    func wedgeForTesting() {
        for _ in 0..<threadCount {
            var fds: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else { return }
            let taken = DispatchSemaphore(value: 0)
            _ = try? watch(fds[0], on: SerialQueue(label: "mprelay-wedge")) { _ in
                taken.signal()
                while true { sleep(3_600) }
            }
            var byte: UInt8 = 1
            _ = withUnsafeBytes(of: &byte) { SocketIO.write(fds[1], $0) }
            // One at a time: a thread that took two events in one batch would leave the second.
            _ = taken.wait(timeout: .now() + 5)
        }
    }
    #endif

    private func control(_ operation: Int32, _ registration: Registration, room: Bool) throws(SocketError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue | (room ? EPOLLOUT.rawValue : 0)
        event.data.u64 = registration.token
        guard epoll_ctl(epollFD, operation, registration.fd, &event) == 0 else {
            let name = operation == EPOLL_CTL_ADD ? "epoll_ctl(ADD)" : "epoll_ctl(MOD)"
            throw SocketError(name, target: "on descriptor \(registration.fd)", errno: errno)
        }
    }

    private func run() {
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            let count: Int
            do {
                count = try SystemCall.epollWait(epollFD, events, capacity: Int32(capacity), timeout: -1)
            } catch {
                preconditionFailure("\(error)")
            }
            for index in 0..<count {
                let token = events[index].data.u64
                let flags = events[index].events
                var readiness: Readiness = []
                if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                    readiness.insert(.readable)
                }
                if flags & (EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { readiness.insert(.closing) }
                if flags & EPOLLOUT.rawValue != 0 { readiness.insert(.writable) }
                guard !readiness.isEmpty else { continue }
                watches.withLock { $0[token] }?.ready(readiness)
            }
        }
    }
}
