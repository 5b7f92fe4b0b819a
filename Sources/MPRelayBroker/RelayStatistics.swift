import MPRelayProtocol
import MPRelayTLS
import Synchronization

/// Broker-wide counters. Connections add their relay counts once per read batch, not per message,
/// so the hot path does not contend on these atomics.
public final class RelayStatistics: Sendable {
    let messagesRelayed = Atomic<Int>(0)
    let bytesRelayed = Atomic<Int>(0)
    let authFailures = Atomic<Int>(0)
    let connectionsAccepted = Atomic<Int>(0)
    let connectionsRefused = Atomic<Int>(0)
    let tlsHandshakes = Atomic<Int>(0)
    private let errors = Mutex<[UInt16: Int]>([:])
    private let tlsFailures = Mutex<[String: Int]>([:])

    func recordError(_ code: RelayErrorCode) {
        errors.withLock { $0[code.rawValue, default: 0] += 1 }
    }

    func recordTLSFailure(_ failure: TLSHandshakeFailure) {
        tlsFailures.withLock { $0[failure.rawValue, default: 0] += 1 }
    }

    /// A consistent-enough copy for reports.
    public var snapshot: Snapshot {
        Snapshot(
            messagesRelayed: messagesRelayed.load(ordering: .relaxed),
            bytesRelayed: bytesRelayed.load(ordering: .relaxed),
            authFailures: authFailures.load(ordering: .relaxed),
            connectionsAccepted: connectionsAccepted.load(ordering: .relaxed),
            connectionsRefused: connectionsRefused.load(ordering: .relaxed),
            errorsByCode: errors.withLock { $0 },
            tlsHandshakes: tlsHandshakes.load(ordering: .relaxed),
            tlsFailuresByReason: tlsFailures.withLock { $0 }
        )
    }

    /// The counters at one moment.
    public struct Snapshot: Equatable, Sendable {
        public var messagesRelayed: Int
        public var bytesRelayed: Int
        public var authFailures: Int
        public var connectionsAccepted: Int
        public var connectionsRefused: Int
        public var errorsByCode: [UInt16: Int]
        /// TLS handshakes completed.
        public var tlsHandshakes: Int
        /// TLS handshakes failed, by ``TLSHandshakeFailure`` raw value (`not_tls`, ...).
        public var tlsFailuresByReason: [String: Int]
    }
}
