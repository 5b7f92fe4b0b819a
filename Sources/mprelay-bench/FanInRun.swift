import Glibc
import MPRelayClient
import MPRelayProtocol
import Synchronization

/// The fan-in engine: one receiver thread, one thread per sender.
struct FanInRun {
    let target: BenchTarget
    let senders: Int
    let count: Int
    let size: Int
    let batch: Int
    let deadline: Double
    let stall: Double
    let progress: Progress
    let serverStats: ProcessStats?

    /// What one sender did.
    struct SenderTally: Sendable {
        var sends = 0
        var peerBusy = 0
    }

    /// What the receiver saw, and when it had everything.
    struct ReceiverResult: Sendable {
        var ledger: FanInLedger
        var finished: UInt64
        var errors: Int
    }

    func run() throws(BenchError) -> WorkloadOutcome {
        progress.note("fanin: \(senders) senders x \(count) messages of \(size) B to one receiver at \(target)")
        let receiverName = BenchTarget.name("fi", "r")
        let names = (0..<senders).map { BenchTarget.name("fi", "s\($0)") }
        var links: [RelayLink?] = [try RelayLink(target: target, name: receiverName, at: target.address)]
        for name in names { links.append(try RelayLink(target: target, name: name, at: target.address)) }
        let handoff = Handoff(links)
        let received = ResultSlots<Result<ReceiverResult, BenchError>>(count: 1)
        let tallies = ResultSlots<Result<SenderTally, BenchError>>(count: senders)
        let delivered = Counter()
        let rssBefore = try serverStats?.residentBytes()
        var rssPeak = rssBefore ?? 0
        let nameBytes = names.map(\.bytes)
        let started = MonotonicClock.now()
        let total = senders * count
        var lastNote = started
        Workers.run(count: senders + 1, tick: 0.1, onTick: {
            if let serverStats, let rss = try? serverStats.residentBytes() { rssPeak = max(rssPeak, rss) }
            if MonotonicClock.now() - lastNote >= 1_000_000_000 {
                lastNote = MonotonicClock.now()
                progress.note("fanin: received \(delivered.current) of \(total)")
            }
        }) { [self] role in
            guard let link = handoff.take(role) else { return }
            if role == 0 {
                received.store(
                    Result { () throws(BenchError) in try receive(link, names: nameBytes, delivered: delivered) },
                    at: 0
                )
            } else {
                tallies.store(
                    Result { () throws(BenchError) in try send(link, index: role - 1, to: receiverName) },
                    at: role - 1
                )
            }
        }
        if let serverStats, let rss = try? serverStats.residentBytes() { rssPeak = max(rssPeak, rss) }
        return summarize(
            received.all().first,
            tallies.all(),
            started: started,
            rssBefore: rssBefore,
            rssPeak: serverStats == nil ? nil : rssPeak
        )
    }

    /// Sends `count` messages in batches; resends every one refused with "peer busy".
    private func send(_ link: RelayLink, index: Int, to receiver: PeerName) throws(BenchError) -> SenderTally {
        let client = link.client
        var tally = SenderTally()
        let payload = PayloadStamp.makeBuffer(size: size)
        defer { payload.deallocate() }
        let end = MonotonicClock.deadline(after: deadline)
        var retry: [UInt64] = []
        var round: [UInt64] = []
        var next: UInt64 = 0
        var rounds: UInt64 = 0
        var backoff: UInt32 = 0
        while next < UInt64(count) || !retry.isEmpty {
            guard MonotonicClock.now() < end else {
                throw BenchError(.timedOut, "sender \(index): the \(deadline) s deadline passed with \(retry.count) messages refused and \(UInt64(count) - next) unsent")
            }
            swap(&round, &retry)
            retry.removeAll(keepingCapacity: true)
            while round.count < batch && next < UInt64(count) {
                round.append(next)
                next += 1
            }
            for sequence in round {
                PayloadStamp.stamp(payload, stream: index, sequence: sequence)
                // The correlation id names the message in a "peer busy" ERROR.
                client.send(UnsafeRawBufferPointer(payload), to: receiver, correlationID: sequence + 1)
            }
            tally.sends += round.count
            round.removeAll(keepingCapacity: true)
            rounds += 1
            client.queue(.ping(correlationID: rounds))
            try flush(client, index)
            // The broker answers in order: once the PONG is here, every ERROR for the batch is too.
            verdicts: while true {
                switch try receive(client, index) {
                case .pong(let id) where id == rounds:
                    break verdicts
                case .error(let report) where report.code == .peerBusy:
                    retry.append(report.correlationID - 1)
                    tally.peerBusy += 1
                case .error(let report):
                    throw BenchError(.verificationFailed, "sender \(index): error \(report.rawCode): \(report.text)")
                case .ping(let id):
                    client.queue(.pong(correlationID: id))
                    try flush(client, index)
                default:
                    continue
                }
            }
            if retry.isEmpty {
                backoff = 0
            } else {
                backoff = min(max(backoff * 2, 100), 5_000)
                usleep(backoff)
            }
        }
        return tally
    }

    /// Reads DELIVERs into the ledger until every message has arrived, the deadline passes, or
    /// nothing arrives for `stall` seconds.
    private func receive(_ link: RelayLink, names: [[UInt8]], delivered: Counter) throws(BenchError) -> ReceiverResult {
        let client = link.client
        var ledger = FanInLedger(senders: senders, count: count, size: size)
        var errors = 0
        let end = MonotonicClock.deadline(after: deadline)
        var lastProgress = MonotonicClock.now()
        while !ledger.complete {
            let now = MonotonicClock.now()
            guard now < end else { throw BenchError(.timedOut, "receiver: the \(deadline) s deadline passed with \(ledger.lost) messages missing") }
            guard now - lastProgress < UInt64(stall * 1e9) else {
                throw BenchError(.timedOut, "receiver: nothing for \(stall) s with \(ledger.lost) messages missing")
            }
            guard SocketOptions.waitReadable(client.fileDescriptor, milliseconds: 100) else { continue }
            let before = ledger.delivered
            do throws(RelayClientError) {
                try client.receiveFrames { body in
                    switch body.first {
                    case EnvelopeKind.deliver.rawValue:
                        guard let message = try? MessageView(body) else {
                            errors += 1
                            return
                        }
                        ledger.accept(sender: message.peer, payload: message.payload, names: names)
                    case EnvelopeKind.error.rawValue:
                        errors += 1
                    default:
                        break
                    }
                }
            } catch {
                throw BenchError(.io, "receiver: \(error)")
            }
            if ledger.delivered > before {
                delivered.add(ledger.delivered - before)
                lastProgress = MonotonicClock.now()
            }
        }
        return ReceiverResult(ledger: ledger, finished: MonotonicClock.now(), errors: errors)
    }

    private func flush(_ client: RelayClient, _ index: Int) throws(BenchError) {
        do throws(RelayClientError) {
            try client.flush()
        } catch {
            throw BenchError(.io, "sender \(index): \(error)")
        }
    }

    private func receive(_ client: RelayClient, _ index: Int) throws(BenchError) -> Envelope {
        do throws(RelayClientError) {
            return try client.receive()
        } catch {
            throw BenchError(.io, "sender \(index): \(error)")
        }
    }

    private func summarize(
        _ receiver: Result<ReceiverResult, BenchError>?,
        _ tallies: [Result<SenderTally, BenchError>],
        started: UInt64,
        rssBefore: Int?,
        rssPeak: Int?
    ) -> WorkloadOutcome {
        var failure: BenchError?
        var sends = 0
        var peerBusy = 0
        for tally in tallies {
            switch tally {
            case .success(let counts):
                sends += counts.sends
                peerBusy += counts.peerBusy
            case .failure(let error):
                failure = failure ?? error
            }
        }
        var report = Report(workload: "fanin", target: target.description)
        report.add("senders", "senders", .integer(senders))
        report.add("count", "messages per sender", .integer(count))
        report.add("size", "payload bytes", .integer(size))
        report.add("batch", "messages per round", .integer(batch))
        report.add("sends", "SENDs written (with retries)", .integer(sends))
        report.add("peer_busy", "peer busy errors (retried)", .integer(peerBusy))
        switch receiver {
        case .success(let result)?:
            let ledger = result.ledger
            let seconds = Double(result.finished - started) / 1e9
            report.add("delivered", "delivered", .integer(ledger.delivered))
            report.add("unique", "distinct messages received", .integer(ledger.unique))
            report.add("lost", "lost", .integer(ledger.lost))
            report.add("duplicates", "duplicates", .integer(ledger.duplicates))
            report.add("bad", "bad payloads", .integer(ledger.bad))
            report.add("misattributed", "wrong sender name", .integer(ledger.misattributed))
            report.add("out_of_order", "after a later one (retries)", .integer(ledger.outOfOrder))
            report.add("receiver_errors", "errors to the receiver", .integer(result.errors))
            report.add("seconds", "seconds", .number(seconds, decimals: 3))
            report.add("msgs_per_sec", "msgs/s", .number(seconds > 0 ? Double(ledger.unique) / seconds : 0, decimals: 0))
            if ledger.lost + ledger.duplicates + ledger.bad + ledger.misattributed + result.errors > 0 {
                failure = failure ?? BenchError(
                    .verificationFailed,
                    "lost \(ledger.lost), duplicates \(ledger.duplicates), bad \(ledger.bad), misattributed \(ledger.misattributed), receiver errors \(result.errors)"
                )
            }
        case .failure(let error)?:
            // A sender's failure (the broker closed it, say) explains the receiver's stall.
            failure = failure ?? error
        case nil:
            failure = failure ?? BenchError(.setup, "the receiver never ran")
        }
        if let rssBefore, let rssPeak {
            report.add("server_rss_before_mib", "server RSS before (MiB)", .number(Double(rssBefore) / 1_048_576, decimals: 1))
            report.add("server_rss_peak_mib", "server RSS peak, sampled (MiB)", .number(Double(rssPeak) / 1_048_576, decimals: 1))
        }
        report.add("status", "status", .text(failure == nil ? "ok" : "failed"))
        return WorkloadOutcome(report: report, failure: failure)
    }
}
