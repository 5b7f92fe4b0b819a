/// Who holds a registration's turn and what was noted for it meanwhile: the turn-taking rules of
/// the ``ReadinessPoller``, without I/O, so that tests drive them directly.
///
/// A registration is served one turn at a time: an event that arrives while a turn runs (on a
/// poller thread or queued on the owner's queue) is noted and the thread that saw it goes back to
/// `epoll_wait` at once, instead of waiting for the busy queue. The turn that ends takes what was
/// noted, plus another read if it stopped before the socket was empty, and hands it to one turn
/// queued on the owner's queue; with nothing left, it gives the turn up. So a connection never
/// occupies more than one poller thread, and a flooding peer never more than one turn of one.
///
/// The value fits in one byte so that the poller keeps it in an `Atomic<UInt8>` and changes it
/// with compare-and-exchange, without a lock on the path of every message.
struct PollerTurn: Equatable, Sendable {
    /// Bit 7: a turn runs or is queued. Bits 0-2: the ``ReadinessPoller/Readiness`` noted since.
    private(set) var rawValue: UInt8

    private static let held: UInt8 = 0x80

    /// Nobody holds the turn; nothing is noted.
    static let idle = PollerTurn(rawValue: 0)

    /// Restores a state from its stored byte.
    init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Whether some thread runs or has queued this registration's turn.
    var isHeld: Bool { rawValue & Self.held != 0 }

    /// What was noted for the turn that follows the current one.
    var noted: ReadinessPoller.Readiness { ReadinessPoller.Readiness(rawValue: rawValue & ~Self.held) }

    /// What the thread that saw an event is to do.
    enum Arrival: Equatable, Sendable {
        /// It holds the turn now: run it for what the event reported.
        case enter
        /// Another thread holds the turn; the event is noted for it, nothing to do.
        case noted
    }

    /// An event (or an owner's wake-up) reports `readiness`.
    mutating func arrive(_ readiness: ReadinessPoller.Readiness) -> Arrival {
        if isHeld {
            rawValue |= readiness.rawValue
            return .noted
        }
        rawValue = Self.held
        return .enter
    }

    /// What follows a turn.
    enum Ending: Equatable, Sendable {
        /// Nothing is left: the turn is given up.
        case released
        /// The turn stays held: queue one more for this readiness.
        case next(ReadinessPoller.Readiness)
    }

    /// The turn's handler returned; `drained` is false when a read turn stopped before the socket
    /// was empty (an edge-triggered registration does not report that data again).
    mutating func finish(drained: Bool) -> Ending {
        var next = noted
        if !drained { next.insert(.readable) }
        if next.isEmpty {
            self = .idle
            return .released
        }
        rawValue = Self.held
        return .next(next)
    }
}
