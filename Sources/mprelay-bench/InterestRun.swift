import Histogram
import MPRelayNATS

/// The interest engine: one subscriber, one publisher, a fresh subject at a time.
struct InterestRun {
    let target: BenchTarget
    let count: Int
    let timeout: Double
    let progress: Progress

    /// What the run measured.
    private struct Tally {
        var interest = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var publisherRoundTrip = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var publishes = 0
        var late = 0
    }

    func run() throws(BenchError) -> WorkloadOutcome {
        progress.note("interest: \(count) fresh subjects against \(target)")
        let subscriber = try NATSLink(address: target.receiverAddress, subscribeTo: nil, tls: target.tls)
        let publisher = try NATSLink(address: target.address, subscribeTo: nil, tls: target.tls)
        let prefix = BenchTarget.name("interest", "subject")
        var tally = Tally()
        var failure: BenchError?
        do throws(BenchError) {
            for index in 0..<count {
                try measure(index, subject: Self.subject("\(prefix).\(index)"), subscriber: subscriber, publisher: publisher, tally: &tally)
                if index % 200 == 199 { progress.note("interest: \(index + 1) of \(count) subjects") }
            }
        } catch {
            failure = error
        }
        if failure == nil, subscriber.errorCount + publisher.errorCount > 0 {
            failure = BenchError(.verificationFailed, "the server reported errors; last: \(subscriber.lastError ?? publisher.lastError ?? "?")")
        }
        return summarize(tally, failure: failure)
    }

    /// Subscribes to `subject` and publishes to it until a message arrives; records the time.
    private func measure(_ index: Int, subject: NATSSubject, subscriber: NATSLink, publisher: NATSLink, tally: inout Tally) throws(BenchError) {
        let payload = PayloadStamp.makeBuffer(size: PayloadStamp.minimumSize)
        defer { payload.deallocate() }
        PayloadStamp.stamp(payload, stream: 0, sequence: UInt64(index))
        try subscriber.subscribe(subject, sid: UInt64(index + 1))
        let subscribed = MonotonicClock.now()
        try subscriber.flush()
        let deadline = subscribed + UInt64(timeout * 1e9)
        while true {
            let published = MonotonicClock.now()
            publisher.publish(UnsafeRawBufferPointer(payload), to: subject)
            try publisher.roundTrip()
            tally.publishes += 1
            _ = tally.publisherRoundTrip.record(MonotonicClock.now() - published)
            guard try subscriber.isReadable(within: 0) else {
                guard MonotonicClock.now() < deadline else {
                    throw BenchError(.timedOut, "nats: \(subject) was not routable from \(target.address) within \(timeout) s")
                }
                continue
            }
            var arrived = false
            // Messages of earlier subjects published after theirs arrived may still come in.
            try subscriber.receive { message in
                guard let (_, sequence) = PayloadStamp.read(message) else { return }
                if sequence == UInt64(index) { arrived = true } else { tally.late += 1 }
            }
            if arrived {
                _ = tally.interest.record(MonotonicClock.now() - subscribed)
                return
            }
        }
    }

    private static func subject(_ text: String) throws(BenchError) -> NATSSubject {
        do {
            return try NATSSubject(text)
        } catch {
            throw BenchError(.setup, "nats subject \(text): \(error)")
        }
    }

    private func summarize(_ tally: Tally, failure: BenchError?) -> WorkloadOutcome {
        func micros(_ nanos: UInt64) -> Report.Value { .number(Double(nanos) / 1000, decimals: 1) }
        let recorded = Int(tally.interest.totalCount)
        var report = Report(workload: "interest", target: target.description)
        report.add("subjects", "fresh subjects routable", .integer(recorded))
        report.add("p50_us", "SUB to first delivery p50 (µs)", micros(tally.interest.valueAtPercentile(50)))
        report.add("p90_us", "SUB to first delivery p90 (µs)", micros(tally.interest.valueAtPercentile(90)))
        report.add("p99_us", "SUB to first delivery p99 (µs)", micros(tally.interest.valueAtPercentile(99)))
        report.add("max_us", "SUB to first delivery max (µs)", micros(tally.interest.max))
        report.add("publishes_per_subject", "publishes per subject", .number(Double(tally.publishes) / Double(max(recorded, 1)), decimals: 2))
        report.add("publisher_rtt_p50_us", "publisher PUB+PING to PONG p50 (µs)", micros(tally.publisherRoundTrip.valueAtPercentile(50)))
        report.add("late_deliveries", "deliveries of an earlier subject", .integer(tally.late))
        report.add("status", "status", .text(failure == nil ? "ok" : "failed"))
        return WorkloadOutcome(report: report, failure: failure)
    }
}
