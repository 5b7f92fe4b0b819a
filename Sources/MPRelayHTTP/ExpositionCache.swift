import Glibc
import MPRelayControl
import MPRelayControlServer
import Synchronization

/// The `/metrics` answer, rendered at most once per ``lifetime`` and shared by the requests of
/// that interval.
///
/// Rendering fills a fresh swift-prometheus registry and sorts it: cheap for one scrape, not for
/// a flood of them on a machine whose cores the relay needs. Prometheus scrapes every few seconds
/// at most, so a second-old exposition costs it nothing.
final class ExpositionCache: Sendable {
    /// How long one rendering is served, in seconds.
    static let lifetime = 1.0

    private let reader: RelayStateReader
    private let latest = Mutex<(renderedAt: Double, report: MetricsReport)?>(nil)

    /// A cache of the exposition of the snapshots `reader` takes.
    init(reader: RelayStateReader) {
        self.reader = reader
    }

    /// The exposition rendered less than ``lifetime`` ago, or a new one rendered on the reader's
    /// thread.
    ///
    /// - Throws: what ``RelayStateReader/read(_:)`` throws.
    func current() async throws -> MetricsReport {
        let now = Self.monotonicSeconds()
        if let cached = latest.withLock({ $0 }), now - cached.renderedAt < Self.lifetime {
            return cached.report
        }
        let report = try await reader.read { $0.metrics() }
        latest.withLock { $0 = (now, report) }
        return report
    }

    private static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
