import Histogram
import MPRelayClient
import MPRelayProtocol

/// The handshake engine: connect, authenticate, register, GOODBYE, repeat.
struct HandshakesRun {
    let target: BenchTarget
    let duration: Double
    let threads: Int
    let progress: Progress
    let serverStats: ProcessStats?

    /// What one thread did.
    struct Tally: Sendable {
        var connections = 0
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var failure: BenchError?
    }

    func run() throws(BenchError) -> WorkloadOutcome {
        progress.note("handshakes: \(threads) threads for \(duration) s at \(target)")
        let completed = Counter()
        let tallies = ResultSlots<Tally>(count: threads)
        let serverCPUBefore = try serverStats?.cpuSeconds()
        let started = MonotonicClock.now()
        Workers.run(count: threads, onTick: {
            progress.note("handshakes: \(completed.current) connections")
        }) { [self] index in
            tallies.store(cycle(thread: index, completed: completed), at: index)
        }
        let wall = Double(MonotonicClock.now() - started) / 1e9
        var serverCPU: Double?
        if let serverStats, let serverCPUBefore { serverCPU = try serverStats.cpuSeconds() - serverCPUBefore }

        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var connections = 0
        var failure: BenchError?
        for tally in tallies.all() {
            connections += tally.connections
            latency.add(tally.latency)
            failure = failure ?? tally.failure
        }
        func micros(_ nanos: UInt64) -> Report.Value { .number(Double(nanos) / 1000, decimals: 0) }
        var report = Report(workload: "handshakes", target: target.description)
        report.add("threads", "threads", .integer(threads))
        report.add("connections", "connections", .integer(connections))
        report.add("seconds", "seconds", .number(wall, decimals: 2))
        report.add("handshakes_per_sec", "connections per second", .number(Double(connections) / wall, decimals: 0))
        report.add("p50_us", "connect to WELCOME p50 (µs)", micros(latency.valueAtPercentile(50)))
        report.add("p99_us", "connect to WELCOME p99 (µs)", micros(latency.valueAtPercentile(99)))
        if let serverCPU { report.add("server_cpu_percent", "server CPU %", .number(100 * serverCPU / wall, decimals: 0)) }
        report.add("status", "status", .text(failure == nil ? "ok" : "failed"))
        return WorkloadOutcome(report: report, failure: failure)
    }

    /// Opens and closes connections until the duration is over or one fails.
    private func cycle(thread: Int, completed: Counter) -> Tally {
        var tally = Tally()
        let end = MonotonicClock.deadline(after: duration)
        var number = 0
        while MonotonicClock.now() < end {
            let name = BenchTarget.name("hs", "\(thread)-\(number)")
            number += 1
            let begun = MonotonicClock.now()
            do throws(RelayClientError) {
                let client = try target.relayClient(name: name)
                _ = tally.latency.record(MonotonicClock.now() - begun)
                SocketOptions.setTimeouts(client.fileDescriptor, seconds: SocketOptions.ioTimeout)
                client.queue(.goodbye(reason: .leaving, text: ""))
                try client.flush()
                // The daemon closes after a GOODBYE: wait for that, so it is the side in TIME_WAIT.
                do throws(RelayClientError) {
                    while true { _ = try client.receive() }
                } catch where error.code == .closed {
                    tally.connections += 1
                    completed.add(1)
                }
            } catch {
                tally.failure = BenchError(.setup, "connection \(number) on thread \(thread): \(error)")
                break
            }
        }
        return tally
    }
}
