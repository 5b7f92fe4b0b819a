import Dispatch
import MPRelayBroker
import Synchronization

/// `/readyz` and `/healthz`: the daemon's readiness, and the relay-path probe the systemd
/// watchdog uses (``Broker/probe(completion:)``: a block through every endpoint's queue and the
/// broker's locks), so a wedged relay fails its health check the way it stops petting the watchdog.
///
/// Requests that arrive while a probe is in flight wait for that probe instead of starting their
/// own: a flood of health checks adds at most one probe at a time to the relay's queues.
final class HealthCheck: Sendable {
    /// Where the daemon is in its life, as `/readyz` reports it.
    enum Phase: String, Sendable {
        /// Endpoints are being opened.
        case starting
        /// Every endpoint listens and the relay accepts peers.
        case ready
        /// A shutdown began: connections drain and no new peers are taken.
        case draining
    }

    /// How long a probe may take before the relay counts as wedged.
    static let probeTimeout = 2.0

    private let reader: RelayStateReader
    private let phase = Mutex(Phase.starting)
    /// The waiters of the probe in flight; nil when none is.
    private let waiters = Mutex<[CheckedContinuation<Bool, Never>]?>(nil)

    /// Creates a check of the broker `reader` reads, in phase ``Phase/starting``.
    init(reader: RelayStateReader) {
        self.reader = reader
    }

    /// The phase now.
    var current: Phase { phase.withLock { $0 } }

    /// Moves to `next`.
    func set(_ next: Phase) {
        phase.withLock { $0 = next }
    }

    /// Why the daemon is not healthy, or nil when it is ready and a probe went through the relay
    /// path within ``probeTimeout``.
    func problem() async -> String? {
        let now = current
        guard now == .ready else { return "not ready: \(now.rawValue)" }
        let answered = Answered()
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.probeTimeout) { answered.resume(false) }
        Task { [self] in answered.resume(await probe()) }
        guard await answered.value() else {
            return "the relay path did not answer a probe within \(Self.probeTimeout) s, or none could be sent: an endpoint or poller queue is stuck"
        }
        return nil
    }

    /// Waits for a probe, the one in flight or a new one; false when none could be sent.
    private func probe() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let first = waiters.withLock { waiters in
                defer { waiters = (waiters ?? []) + [continuation] }
                return waiters == nil
            }
            guard first else { return }
            // The probe takes the broker's locks: it starts on the reader's thread.
            reader.start { [self, reader] active in
                do {
                    guard active else { return finish(answered: false) }
                    try reader.broker.probe { [self] in finish(answered: true) }
                } catch {
                    finish(answered: false)
                }
            }
        }
    }

    /// Answers every request waiting for the probe in flight.
    private func finish(answered: Bool) {
        for waiter in waiters.withLock({ $0.take() }) ?? [] { waiter.resume(returning: answered) }
    }
}

/// A yes-or-no answer that the first of two racing events gives.
private final class Answered: Sendable {
    private let state = Mutex<(answer: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

    /// Gives the answer unless one was given already.
    func resume(_ answer: Bool) {
        let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
            guard state.answer == nil else { return nil }
            state.answer = answer
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: answer)
    }

    /// Waits for the answer.
    func value() async -> Bool {
        await withCheckedContinuation { continuation in
            let ready: Bool? = state.withLock { state in
                if let answer = state.answer { return answer }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
