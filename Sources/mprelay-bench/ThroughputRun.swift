import Glibc
import MPRelayPOSIX
import MPRelayProtocol

/// The throughput engine: sets up the pairs, runs the worker threads, and sums up.
struct ThroughputRun {
    /// The workload's parameters, already validated.
    struct Settings: Sendable {
        var pairs: Int
        var count: Int
        var size: Int
        var window: Int
        var threads: Int
        var batchBytes: Int
        var deadline: Double
        var stall: Double
    }

    /// One sender and its receiver, owned by one worker thread.
    final class Pair {
        let index: Int
        let sender: any MessageLink
        let receiver: any MessageLink
        let target: PeerName
        var sent = 0
        var check: SequenceCheck

        init(index: Int, sender: any MessageLink, receiver: any MessageLink, target: PeerName, check: SequenceCheck) {
            self.index = index
            self.sender = sender
            self.receiver = receiver
            self.target = target
            self.check = check
        }
    }

    /// What one worker thread measured.
    struct WorkerResult: Sendable {
        var checks: [SequenceCheck] = []
        var firstSend = UInt64.max
        var lastReceive = UInt64(0)
        var errors = 0
        var lastError: String?
        var failure: BenchError?
    }

    let target: BenchTarget
    let settings: Settings
    let progress: Progress
    let serverStats: ProcessStats?

    func run() throws(BenchError) -> WorkloadOutcome {
        progress.note("throughput: \(settings.pairs) pairs x \(settings.count) messages of \(settings.size) B against \(target)")
        var groups = [[Pair]?](repeating: [], count: settings.threads)
        for index in 0..<settings.pairs {
            let receiverName = BenchTarget.name("tp", "r\(index)")
            let receiver = try target.connect(name: receiverName, receiving: true, side: .receiving)
            let sender = try target.connect(name: BenchTarget.name("tp", "s\(index)"), receiving: false, side: .sending)
            try target.waitUntilRoutable(from: sender, to: receiver, name: receiverName)
            let check = SequenceCheck(stream: index, expected: settings.count, size: settings.size)
            groups[index % settings.threads]!.append(
                Pair(index: index, sender: sender, receiver: receiver, target: receiverName, check: check)
            )
        }
        let handoff = Handoff(groups)
        let results = ResultSlots<WorkerResult>(count: settings.threads)
        let delivered = Counter()
        let total = settings.pairs * settings.count
        let settings = self.settings
        let serverCPUBefore = try serverStats?.cpuSeconds()
        let ownCPUBefore = ProcessStats.ownCPUSeconds()
        let started = MonotonicClock.now()
        Workers.run(count: settings.threads, onTick: { [progress] in
            progress.note("throughput: delivered \(delivered.current) of \(total)")
        }) { index in
            let pairs = handoff.take(index) ?? []
            results.store(Self.work(pairs: pairs, settings: settings, delivered: delivered), at: index)
        }
        let wall = Double(MonotonicClock.now() - started) / 1e9
        var serverCPU: Double?
        if let serverStats, let serverCPUBefore { serverCPU = try serverStats.cpuSeconds() - serverCPUBefore }
        return summarize(results.all(), wall: wall, serverCPU: serverCPU, ownCPU: ProcessStats.ownCPUSeconds() - ownCPUBefore)
    }

    private func summarize(_ results: [WorkerResult], wall: Double, serverCPU: Double?, ownCPU: Double) -> WorkloadOutcome {
        let checks = results.flatMap(\.checks)
        let received = checks.reduce(0) { $0 + $1.received }
        let lost = checks.reduce(0) { $0 + $1.lost }
        let missing = checks.reduce(0) { $0 + $1.missing }
        let reordered = checks.reduce(0) { $0 + $1.reordered }
        let bad = checks.reduce(0) { $0 + $1.bad }
        let errors = results.reduce(0) { $0 + $1.errors }
        let first = results.map(\.firstSend).min() ?? 0
        let last = results.map(\.lastReceive).max() ?? 0
        let seconds = last > first ? Double(last - first) / 1e9 : 0
        let rate = seconds > 0 ? Double(received) / seconds : 0

        var report = Report(workload: "throughput", target: target.description)
        report.add("pairs", "pairs", .integer(settings.pairs))
        report.add("count", "messages per sender", .integer(settings.count))
        report.add("size", "payload bytes", .integer(settings.size))
        report.add("window", "window bytes per pair", .integer(settings.window))
        report.add("threads", "threads", .integer(settings.threads))
        report.add("delivered", "delivered", .integer(received))
        report.add("seconds", "first send to last receive (s)", .number(seconds, decimals: 3))
        report.add("msgs_per_sec", "msgs/s", .number(rate, decimals: 0))
        report.add("mb_per_sec", "MB/s (payload, 10^6)", .number(rate * Double(settings.size) / 1e6, decimals: 1))
        report.add("lost", "lost", .integer(lost))
        report.add("missing", "missing", .integer(missing))
        report.add("reordered", "reordered", .integer(reordered))
        report.add("bad", "bad", .integer(bad))
        report.add("server_errors", "errors from the server", .integer(errors))
        if let serverCPU { report.add("server_cpu_percent", "server CPU %", .number(100 * serverCPU / wall, decimals: 0)) }
        report.add("client_cpu_percent", "client CPU %", .number(100 * ownCPU / wall, decimals: 0))

        var failure = results.compactMap(\.failure).first
        if failure == nil && (received != settings.pairs * settings.count || lost + missing + reordered + bad > 0) {
            failure = BenchError(.verificationFailed, "lost \(lost), missing \(missing), reordered \(reordered), bad \(bad)")
        }
        if failure == nil, errors > 0 {
            failure = BenchError(.verificationFailed, "the server reported \(errors) errors; last: \(results.compactMap(\.lastError).last ?? "?")")
        }
        report.add("status", "status", .text(failure == nil ? "ok" : "failed"))
        return WorkloadOutcome(report: report, failure: failure)
    }

    /// One worker's loop: fill each sender's window, write, poll, read, until every receiver is done.
    private static func work(pairs: [Pair], settings: Settings, delivered: Counter) -> WorkerResult {
        var result = WorkerResult()
        let payload = PayloadStamp.makeBuffer(size: settings.size)
        defer { payload.deallocate() }
        var descriptors: [pollfd] = []
        for pair in pairs {
            descriptors.append(pollfd(fd: pair.receiver.fileDescriptor, events: Int16(POLLIN), revents: 0))
            descriptors.append(pollfd(fd: pair.sender.fileDescriptor, events: Int16(POLLIN), revents: 0))
        }
        let deadline = MonotonicClock.deadline(after: settings.deadline)
        let stall = UInt64(settings.stall * 1e9)
        var lastProgress = MonotonicClock.now()
        do throws(BenchError) {
            while true {
                var canSend = false
                var done = true
                for pair in pairs {
                    if !pair.check.finished { done = false }
                    canSend = try fill(pair, payload: payload, settings: settings, result: &result) || canSend
                }
                if done { break }
                do {
                    _ = try SystemCall.poll(&descriptors, timeout: canSend ? 0 : 50)
                } catch {
                    throw BenchError(.io, "\(error)")
                }
                var arrived = 0
                for slot in descriptors.indices where descriptors[slot].revents != 0 {
                    descriptors[slot].revents = 0
                    let pair = pairs[slot / 2]
                    if slot % 2 == 0 {
                        try pair.receiver.receive { payload in
                            pair.check.accept(payload)
                            arrived += 1
                        }
                    } else {
                        try pair.sender.receive { _ in }
                    }
                }
                let now = MonotonicClock.now()
                if arrived > 0 {
                    result.lastReceive = now
                    lastProgress = now
                    delivered.add(arrived)
                }
                if now - lastProgress > stall {
                    throw BenchError(.timedOut, "nothing delivered for \(settings.stall) s: \(Self.shortfall(pairs))")
                }
                if now > deadline {
                    throw BenchError(.timedOut, "the \(settings.deadline) s deadline passed: \(Self.shortfall(pairs))")
                }
            }
        } catch {
            result.failure = error
        }
        result.checks = pairs.map(\.check)
        result.errors = pairs.reduce(0) { $0 + $1.sender.errorCount + $1.receiver.errorCount }
        result.lastError = pairs.compactMap { $0.sender.lastError ?? $0.receiver.lastError }.last
        return result
    }

    /// Queues what the window allows for `pair` and writes it. Returns whether more could be sent now.
    private static func fill(_ pair: Pair, payload: UnsafeMutableRawBufferPointer, settings: Settings, result: inout WorkerResult) throws(BenchError) -> Bool {
        func windowOpen() -> Bool {
            settings.window == 0 || (pair.sent - pair.check.accounted + 1) * settings.size <= settings.window
        }
        var queued = false
        while pair.sent < settings.count, windowOpen(), pair.sender.queuedByteCount < settings.batchBytes {
            PayloadStamp.stamp(payload, stream: pair.index, sequence: UInt64(pair.sent))
            pair.sender.queue(UnsafeRawBufferPointer(payload), to: pair.target)
            pair.sent += 1
            queued = true
        }
        if queued {
            if result.firstSend == .max { result.firstSend = MonotonicClock.now() }
            try pair.sender.flush()
        }
        return pair.sent < settings.count && windowOpen()
    }

    private static func shortfall(_ pairs: [Pair]) -> String {
        pairs.map { "pair \($0.index) got \($0.check.received) of \($0.check.expected)" }.joined(separator: ", ")
    }
}
