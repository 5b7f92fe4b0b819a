import Dispatch
import Glibc
import MPRelayClient

/// The idle-connections engine: open on worker threads, hold, measure, close.
struct ConnectionsRun {
    let target: BenchTarget
    let count: Int
    let threads: Int
    let hold: Double
    let deadline: Double
    let progress: Progress
    let serverStats: ProcessStats?

    /// The memory readings, in bytes.
    private struct Memory {
        var before: Int?
        var open: Int?
        var closed: Int?
    }

    func run() throws(BenchError) -> WorkloadOutcome {
        try FileLimit.raise(toAtLeast: count + 64)
        progress.note("connections: opening \(count) idle peers at \(target)")
        var memory = Memory(before: try serverStats?.residentBytes())
        let opened = Counter()
        let ready = Counter()
        let release = DispatchSemaphore(value: 0)
        let failures = ResultSlots<BenchError>(count: threads)
        let started = MonotonicClock.now()
        var openSeconds: Double?
        Workers.run(count: threads, tick: 0.5, onTick: {
            guard openSeconds == nil else { return }
            guard ready.current == threads else {
                progress.note("connections: \(opened.current) of \(count) open")
                return
            }
            openSeconds = Double(MonotonicClock.now() - started) / 1e9
            progress.note("connections: \(opened.current) open; holding them idle for \(hold) s")
            usleep(UInt32(hold * 1e6))
            memory.open = try? serverStats?.residentBytes()
            for _ in 0..<threads { release.signal() }
        }) { [self] index in
            var clients: [RelayClient] = []
            let end = MonotonicClock.deadline(after: deadline)
            do throws(BenchError) {
                for number in stride(from: index, to: count, by: threads) {
                    guard MonotonicClock.now() < end else {
                        throw BenchError(.timedOut, "the \(deadline) s deadline passed with \(opened.current) of \(count) open")
                    }
                    let name = BenchTarget.name("cx", String(number))
                    do throws(RelayClientError) {
                        clients.append(try target.relayClient(name: name))
                    } catch {
                        throw BenchError(.setup, "connection \(number + 1) of \(count): \(error) (check the daemon's max_connections and both processes' ulimit -n)")
                    }
                    opened.add(1)
                }
            } catch {
                failures.store(error, at: index)
            }
            ready.add(1)
            _ = release.wait(timeout: .now() + deadline)
            clients.removeAll()
        }
        // Give the daemon a moment to notice the closes and free what they held.
        usleep(1_000_000)
        memory.closed = try? serverStats?.residentBytes()
        return summarize(opened: opened.current, openSeconds: openSeconds, memory: memory, failure: failures.all().first)
    }

    private func summarize(opened: Int, openSeconds: Double?, memory: Memory, failure: BenchError?) -> WorkloadOutcome {
        var report = Report(workload: "connections", target: target.description)
        report.add("count", "connections asked for", .integer(count))
        report.add("opened", "opened and registered", .integer(opened))
        if let openSeconds {
            report.add("open_seconds", "seconds to open", .number(openSeconds, decimals: 2))
            report.add("opened_per_sec", "opened per second", .number(Double(opened) / openSeconds, decimals: 0))
        }
        func mebibytes(_ bytes: Int) -> Report.Value { .number(Double(bytes) / 1_048_576, decimals: 1) }
        if let before = memory.before {
            report.add("server_rss_before_mib", "server RSS before (MiB)", mebibytes(before))
        }
        if let before = memory.before, let open = memory.open {
            report.add("server_rss_open_mib", "server RSS with all open (MiB)", mebibytes(open))
            if opened > 0 {
                report.add("server_bytes_per_peer", "server RSS per idle peer (bytes)", .integer((open - before) / opened))
            }
        }
        if let closed = memory.closed {
            report.add("server_rss_closed_mib", "server RSS 1 s after closing (MiB)", mebibytes(closed))
        }
        report.add("status", "status", .text(failure == nil ? "ok" : "failed"))
        return WorkloadOutcome(report: report, failure: failure)
    }
}
