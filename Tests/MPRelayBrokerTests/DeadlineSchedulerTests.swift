import Dispatch
@testable import MPRelayBroker
import Synchronization
import Testing

/// The deadline scheduler with real clocks: owners are called on their queue once a deadline has
/// passed (never before, at most a little after), an earlier deadline wins over a later one, and
/// a cancelled owner is never called.
@Suite("Deadline scheduler")
struct DeadlineSchedulerTests {
    /// Times an owner was called, in nanoseconds of `DispatchTime`.
    private final class Calls: Sendable {
        let times = Mutex<[UInt64]>([])
        var count: Int { times.withLock { $0.count } }
        var first: UInt64? { times.withLock { $0.first } }
    }

    /// Waits up to 5 s for `calls` to reach `count`.
    private func waitFor(_ count: Int, _ calls: Calls) async throws {
        for _ in 0..<500 where calls.count < count {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    private func owner(_ label: String) -> (SerialQueue, Calls, DeadlineScheduler.Registration) {
        let queue = SerialQueue(label: label)
        let calls = Calls()
        let registration = DeadlineScheduler.shared.register(on: queue) {
            dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
            calls.times.withLock { $0.append(DispatchTime.now().uptimeNanoseconds) }
        }
        return (queue, calls, registration)
    }

    @Test func callsTheOwnerOnItsQueueOnceTheDeadlineHasPassed() async throws {
        let (_, calls, registration) = owner("deadline-test-once")
        defer { DeadlineScheduler.shared.cancel(registration) }
        let deadline = DispatchTime.now() + 0.1
        DeadlineScheduler.shared.schedule(registration, at: deadline)
        try await waitFor(1, calls)
        try await Task.sleep(for: .milliseconds(100))
        #expect(calls.count == 1)
        let late = Double(Int64(calls.first ?? 0) - Int64(deadline.uptimeNanoseconds)) / 1e6
        #expect(late >= 0, "called \(-late) ms before the deadline")
    }

    @Test func anEarlierDeadlineWinsAndALaterOneAddsNothing() async throws {
        let (_, calls, registration) = owner("deadline-test-earlier")
        defer { DeadlineScheduler.shared.cancel(registration) }
        // Half a second between the deadlines: the three calls take microseconds, so even a
        // loaded machine makes them all before the earliest one passes.
        let start = DispatchTime.now()
        DeadlineScheduler.shared.schedule(registration, at: start + 30)
        DeadlineScheduler.shared.schedule(registration, at: start + 0.5)
        DeadlineScheduler.shared.schedule(registration, at: start + 1)
        try await waitFor(1, calls)
        let after = Double((calls.first ?? 0) - start.uptimeNanoseconds) / 1e9
        #expect(after >= 0.5 && after < 10, "called after \(after) s")
        try await Task.sleep(for: .seconds(1))
        #expect(calls.count == 1)
    }

    @Test func aCancelledOwnerIsNeverCalled() async throws {
        let (_, calls, registration) = owner("deadline-test-cancel")
        DeadlineScheduler.shared.schedule(registration, at: .now() + 0.05)
        DeadlineScheduler.shared.cancel(registration)
        try await Task.sleep(for: .milliseconds(200))
        #expect(calls.count == 0)
    }

    @Test func theDistantFutureAsksNothing() async throws {
        let (_, calls, registration) = owner("deadline-test-never")
        defer { DeadlineScheduler.shared.cancel(registration) }
        DeadlineScheduler.shared.schedule(registration, at: .distantFuture)
        DeadlineScheduler.shared.schedule(registration, at: .now() + 0.05)
        try await waitFor(1, calls)
        #expect(calls.count == 1)
    }
}
