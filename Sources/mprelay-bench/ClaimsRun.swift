import Histogram
import MPRelayCluster
import MPRelayNATS

/// The claims engine: a cluster node claims fresh names and releases them, timing each claim.
struct ClaimsRun {
    let settings: ClusterNodeSettings
    let count: Int
    let threads: Int
    let progress: Progress

    /// What one thread did.
    struct Tally: Sendable {
        var claims = 0
        var claim = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var release = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var failure: BenchError?
    }

    func run() throws(BenchError) -> WorkloadOutcome {
        progress.note("claims: joining \(settings.servers.map(\.description).joined(separator: ", ")) as cluster \(settings.name)")
        let node: ClusterNode
        do {
            node = try ClusterNode.start(settings, handlers: ClusterNodeHandlers(presence: { _ in }, frame: { _ in }, event: { _ in }))
        } catch {
            throw BenchError(.setup, "\(error)")
        }
        defer { node.stop() }
        let completed = Counter()
        let tallies = ResultSlots<Tally>(count: threads)
        let started = MonotonicClock.now()
        Workers.run(count: threads, onTick: {
            progress.note("claims: \(completed.current) names claimed and released")
        }) { index in
            tallies.store(Self.cycle(node: node, thread: index, count: count, completed: completed), at: index)
        }
        let wall = Double(MonotonicClock.now() - started) / 1e9

        var total = Tally()
        for tally in tallies.all() {
            total.claims += tally.claims
            total.claim.add(tally.claim)
            total.release.add(tally.release)
            total.failure = total.failure ?? tally.failure
        }
        func micros(_ nanos: UInt64) -> Report.Value { .number(Double(nanos) / 1000, decimals: 0) }
        var report = Report(workload: "claims", target: "NATS \(node.server), bucket \(settings.bucket)")
        report.add("threads", "threads", .integer(threads))
        report.add("claims", "names claimed and released", .integer(total.claims))
        report.add("seconds", "seconds", .number(wall, decimals: 2))
        report.add("claims_per_sec", "claims (+ releases) per second", .number(Double(total.claims) / wall, decimals: 0))
        report.add("claim_p50_us", "claim p50 (µs)", micros(total.claim.valueAtPercentile(50)))
        report.add("claim_p99_us", "claim p99 (µs)", micros(total.claim.valueAtPercentile(99)))
        report.add("release_p50_us", "release p50 (µs)", micros(total.release.valueAtPercentile(50)))
        report.add("release_p99_us", "release p99 (µs)", micros(total.release.valueAtPercentile(99)))
        report.add("status", "status", .text(total.failure == nil ? "ok" : "failed"))
        return WorkloadOutcome(report: report, failure: total.failure)
    }

    /// Claims and releases `count` fresh names, or stops at the first failure.
    private static func cycle(node: ClusterNode, thread: Int, count: Int, completed: Counter) -> Tally {
        var tally = Tally()
        for number in 0..<count {
            do throws(ClusterError) {
                let name = BenchTarget.name("claim", "\(thread)-\(number)")
                let begun = MonotonicClock.now()
                let revision = try node.claim(name, connection: UInt64(thread))
                let claimed = MonotonicClock.now()
                try node.release(name, revision: revision)
                _ = tally.claim.record(claimed - begun)
                _ = tally.release.record(MonotonicClock.now() - claimed)
                tally.claims += 1
                completed.add(1)
            } catch {
                tally.failure = BenchError(.io, "claim \(number) on thread \(thread): \(error)")
                break
            }
        }
        return tally
    }
}
