import Dispatch
import HeapModule
import MPRelayPOSIX
import Synchronization

/// Calls owners on their own queue once a deadline they set has passed, from one thread that
/// sleeps until the earliest deadline.
///
/// Each connection has one deadline at a time: the handshake timeout, then the idle check, then
/// the drain limit when closing. A Dispatch timer source per connection went through libdispatch's
/// manager thread at every create, schedule and cancel (an eventfd write and a wake-up each), a
/// large share of a short connection's cost. Here a deadline later than the one already pending
/// costs a lock and nothing else: the owner, called at the earlier one, finds its deadline moved
/// and sets it again. Deadlines fire up to ``resolution`` late, so that the many stale ones of
/// closed or re-armed connections are swept in batches rather than one wake-up each.
final class DeadlineScheduler: Sendable {
    /// What an owner is known by; deadlines of a cancelled registration are dropped.
    struct Registration: Hashable, Sendable {
        fileprivate let token: UInt64
    }

    private struct Entry: Comparable {
        let deadline: UInt64
        let token: UInt64

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.token) < (rhs.deadline, rhs.token)
        }
    }

    private struct Owner {
        let queue: SerialQueue
        let handler: @Sendable () -> Void
        /// The earliest deadline in the heap for this owner; `.max` when none.
        var pending = UInt64.max
    }

    private struct State {
        var owners: [UInt64: Owner] = [:]
        var entries = Heap<Entry>()
        var nextToken: UInt64 = 1
        /// When the thread wakes next; an earlier deadline wakes it at once.
        var sleepingUntil = UInt64.max
    }

    /// How late a deadline may fire, in nanoseconds.
    static let resolution: UInt64 = 10_000_000

    /// The scheduler every broker in this process shares.
    static let shared = DeadlineScheduler()

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    private init() {
        ServiceThread.start(name: "mprelay-deadlines") { [self] in run() }
    }

    /// Registers an owner; `handler` runs on `queue` when a deadline set with ``schedule(_:at:)``
    /// has passed. The owner checks its own clock: a deadline it moved later comes early.
    func register(on queue: SerialQueue, handler: @escaping @Sendable () -> Void) -> Registration {
        state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            state.owners[token] = Owner(queue: queue, handler: handler)
            return Registration(token: token)
        }
    }

    /// Makes sure the owner is called at `deadline` or earlier; `.distantFuture` asks nothing.
    func schedule(_ registration: Registration, at deadline: DispatchTime) {
        let when = deadline.uptimeNanoseconds
        let wake = state.withLock { state -> Bool in
            guard var owner = state.owners[registration.token], when < owner.pending else { return false }
            owner.pending = when
            state.owners[registration.token] = owner
            state.entries.insert(Entry(deadline: when, token: registration.token))
            guard when < state.sleepingUntil else { return false }
            state.sleepingUntil = when
            return true
        }
        if wake { wakeUp.signal() }
    }

    /// Forgets the owner: none of its deadlines calls it any more.
    func cancel(_ registration: Registration) {
        _ = state.withLock { $0.owners.removeValue(forKey: registration.token) }
    }

    private func run() {
        while true {
            let (due, wakeAt) = state.withLock { state -> ([Owner], UInt64) in
                let now = DispatchTime.now().uptimeNanoseconds
                var due: [Owner] = []
                while let first = state.entries.min, first.deadline <= now {
                    state.entries.removeMin()
                    guard var owner = state.owners[first.token], owner.pending == first.deadline else { continue }
                    owner.pending = .max
                    state.owners[first.token] = owner
                    due.append(owner)
                }
                let next = state.entries.min.map { max($0.deadline, now + Self.resolution) } ?? .max
                state.sleepingUntil = next
                return (due, next)
            }
            for owner in due { owner.queue.async(execute: owner.handler) }
            _ = wakeUp.wait(timeout: wakeAt == .max ? .distantFuture : DispatchTime(uptimeNanoseconds: wakeAt))
        }
    }
}
