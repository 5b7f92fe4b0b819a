import Histogram
import MPRelayProtocol

/// The ping-pong engine: A on the calling thread, the echo B on a worker thread.
struct LatencyRun {
    let target: BenchTarget
    let count: Int
    let warmup: Int
    let size: Int
    let deadline: Double
    let progress: Progress
    let serverStats: ProcessStats?

    func run() throws(BenchError) -> WorkloadOutcome {
        progress.note("latency: \(warmup) + \(count) round trips of \(size) B against \(target)")
        let nameA = BenchTarget.name("lat", "a")
        let nameB = BenchTarget.name("lat", "b")
        let linkA = try target.connect(name: nameA, receiving: true, side: .sending)
        let linkB = try target.connect(name: nameB, receiving: true, side: .receiving)
        try target.waitUntilRoutable(from: linkA, to: linkB, name: nameB)
        try target.waitUntilRoutable(from: linkB, to: linkA, name: nameA)
        let links = Handoff<any MessageLink>([linkA, linkB])
        let total = warmup + count
        let outcomes = ResultSlots<Result<Histogram<UInt64>?, BenchError>>(count: 2)
        let serverCPUBefore = try serverStats?.cpuSeconds()
        let started = MonotonicClock.now()
        Workers.run(count: 2) { [self] role in
            guard let link = links.take(role) else { return }
            do throws(BenchError) {
                if role == 0 {
                    outcomes.store(.success(try ping(link, to: nameB, total: total)), at: role)
                } else {
                    try Self.echo(link, to: nameA, messages: total)
                    outcomes.store(.success(nil), at: role)
                }
            } catch {
                outcomes.store(.failure(error), at: role)
            }
        }
        let wall = Double(MonotonicClock.now() - started) / 1e9
        var serverCPU: Double?
        if let serverStats, let serverCPUBefore { serverCPU = try serverStats.cpuSeconds() - serverCPUBefore }
        var histogram = Histogram<UInt64>(highestTrackableValue: Self.highestTrackable, numberOfSignificantValueDigits: .three)
        var failure: BenchError?
        for outcome in outcomes.all() {
            switch outcome {
            case .success(let recorded?): histogram = recorded
            case .success(nil): break
            case .failure(let error): failure = failure ?? error
            }
        }
        return summarize(histogram, failure: failure, serverCPU: serverCPU, wall: wall)
    }

    /// One minute in nanoseconds: a round trip longer than that fails the run anyway.
    private static let highestTrackable: UInt64 = 60_000_000_000

    /// Sends one message at a time and waits for its echo; records each round trip after warm-up.
    private func ping(_ link: any MessageLink, to peer: PeerName, total: Int) throws(BenchError) -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(highestTrackableValue: Self.highestTrackable, numberOfSignificantValueDigits: .three)
        let payload = PayloadStamp.makeBuffer(size: size)
        defer { payload.deallocate() }
        let end = MonotonicClock.deadline(after: deadline)
        for sequence in 0..<total {
            PayloadStamp.stamp(payload, stream: 0, sequence: UInt64(sequence))
            let sent = MonotonicClock.now()
            link.queue(UnsafeRawBufferPointer(payload), to: peer)
            try link.flush()
            var answered = false
            var wrong: String?
            while !answered {
                try link.receive { echoed in
                    guard echoed.count == size, let (_, got) = PayloadStamp.read(echoed), got == UInt64(sequence) else {
                        wrong = "round trip \(sequence) came back wrong"
                        return
                    }
                    answered = true
                }
                if let wrong { throw BenchError(.verificationFailed, wrong) }
            }
            let elapsed = MonotonicClock.now() - sent
            if sequence >= warmup { _ = histogram.record(elapsed) }
            if sequence % 5000 == 4999 {
                progress.note("latency: \(sequence + 1) of \(total) round trips")
                if MonotonicClock.now() > end {
                    throw BenchError(.timedOut, "the \(deadline) s deadline passed after \(sequence + 1) round trips")
                }
            }
        }
        return histogram
    }

    /// Echoes every message back to `peer` until `messages` have come through.
    private static func echo(_ link: any MessageLink, to peer: PeerName, messages: Int) throws(BenchError) {
        var echoed = 0
        while echoed < messages {
            try link.receive { payload in
                link.queue(payload, to: peer)
                echoed += 1
            }
            try link.flush()
        }
    }

    private func summarize(_ histogram: Histogram<UInt64>, failure: BenchError?, serverCPU: Double?, wall: Double) -> WorkloadOutcome {
        func micros(_ nanos: UInt64) -> Report.Value { .number(Double(nanos) / 1000, decimals: 1) }
        var report = Report(workload: "latency", target: target.description)
        report.add("size", "payload bytes", .integer(size))
        report.add("round_trips", "round trips recorded", .integer(Int(histogram.totalCount)))
        report.add("p50_us", "RTT p50 (µs)", micros(histogram.valueAtPercentile(50)))
        report.add("p90_us", "RTT p90 (µs)", micros(histogram.valueAtPercentile(90)))
        report.add("p99_us", "RTT p99 (µs)", micros(histogram.valueAtPercentile(99)))
        report.add("p999_us", "RTT p99.9 (µs)", micros(histogram.valueAtPercentile(99.9)))
        report.add("max_us", "RTT max (µs)", micros(histogram.max))
        report.add("mean_us", "RTT mean (µs)", .number(histogram.mean / 1000, decimals: 1))
        if let serverCPU { report.add("server_cpu_percent", "server CPU %", .number(100 * serverCPU / wall, decimals: 0)) }
        report.add("status", "status", .text(failure == nil ? "ok" : "failed"))
        return WorkloadOutcome(report: report, failure: failure)
    }
}
