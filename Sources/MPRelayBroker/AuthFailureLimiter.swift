import Dispatch
import Synchronization

/// Counts failed handshakes per client address so that the log gets one line per address per
/// window (with a count) instead of one per failure, and an address that keeps failing is refused
/// for a while: a key cannot be guessed at line rate.
///
/// The table is bounded; when it is full, entries whose window has passed are dropped first,
/// then the oldest.
final class AuthFailureLimiter: Sendable {
    /// What to do about a failure just recorded.
    struct Verdict: Equatable {
        /// Whether to write a log line now, and how many failures it reports.
        var log: Bool
        var failures: Int
        /// Whether this failure put the address in the penalty box.
        var refusedFromNow: Bool
    }

    private struct Record {
        var windowStart: UInt64
        var failures = 0
        var loggedFailures = 0
        var refusedUntil: UInt64 = 0
    }

    /// The most addresses remembered at once.
    static let capacity = 65_536

    private let records = Mutex<[String: Record]>([:])

    /// Whether `address` is serving a penalty.
    func isRefused(_ address: String, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Bool {
        records.withLock { $0[address].map { $0.refusedUntil > now } ?? false }
    }

    /// Records one failure from `address` under `limits`.
    func recordFailure(
        _ address: String,
        limit: Int,
        window: Double,
        penalty: Double,
        now: UInt64 = DispatchTime.now().uptimeNanoseconds
    ) -> Verdict {
        let windowNanoseconds = UInt64(window * 1e9)
        return records.withLock { records in
            if records[address] == nil && records.count >= Self.capacity { Self.evict(&records, now: now, window: windowNanoseconds) }
            var record = records[address] ?? Record(windowStart: now)
            if now - record.windowStart >= windowNanoseconds {
                record.windowStart = now
                record.failures = 0
                record.loggedFailures = 0
            }
            record.failures += 1
            var verdict = Verdict(log: false, failures: record.failures, refusedFromNow: false)
            if record.failures == 1 || record.failures == limit {
                verdict.log = true
                record.loggedFailures = record.failures
            }
            if record.failures >= limit && penalty > 0 && record.refusedUntil <= now {
                record.refusedUntil = now + UInt64(penalty * 1e9)
                verdict.refusedFromNow = true
                verdict.log = true
            }
            records[address] = record
            return verdict
        }
    }

    private static func evict(_ records: inout [String: Record], now: UInt64, window: UInt64) {
        records = records.filter { now - $0.value.windowStart < window || $0.value.refusedUntil > now }
        if records.count >= capacity, let oldest = records.min(by: { $0.value.windowStart < $1.value.windowStart }) {
            records[oldest.key] = nil
        }
    }
}
