import Dispatch
import Glibc
@testable import MPRelayBroker
import Synchronization
import Testing

/// Turn-taking on real sockets, on a poller with two threads as on the 2-CPU hosts the daemon is
/// measured on: a registration whose turn runs long occupies one thread, its further events do
/// not take the other, and other registrations are served meanwhile. Serialized: each test holds
/// one of the two threads for a while.
@Suite("Readiness poller isolation", .serialized)
struct ReadinessPollerIsolationTests {
    /// A poller of the tests' own, so that the thread count does not depend on this host.
    static let poller = ReadinessPoller(threads: 2)

    @Test func aLongTurnHoldsOneThreadAndTheOtherServesEveryoneElse() async throws {
        let busy = try SocketPair()
        let other = try SocketPair()
        let release = DispatchSemaphore(value: 0)
        let running = Atomic<Int>(0)
        let mostAtOnce = Atomic<Int>(0)
        let turns = Atomic<Int>(0)
        let busyReceived = Atomic<Int>(0)
        let busyRegistration = try Self.poller.watch(busy.local, on: SerialQueue(label: "poller-isolation-busy")) { _ in
            let now = running.add(1, ordering: .relaxed).newValue
            _ = mostAtOnce.max(now, ordering: .relaxed)
            defer { running.subtract(1, ordering: .relaxed) }
            // The first turn runs until the test lets it go, as a long read turn would.
            if turns.add(1, ordering: .relaxed).newValue == 1 { release.wait() }
            busyReceived.add(readAll(busy.local), ordering: .relaxed)
            return true
        }
        defer { Self.poller.cancel(busyRegistration) }
        #expect(busy.send(10, to: busy.remote) == 10)
        #expect(try await eventually { turns.load(ordering: .relaxed) == 1 })
        // More data for the busy socket while its turn holds a thread: each is a new event.
        for _ in 0..<3 {
            #expect(busy.send(10, to: busy.remote) == 10)
            try await Task.sleep(for: .milliseconds(30))
        }
        let otherReceived = Atomic<Int>(0)
        let otherRegistration = try Self.poller.watch(other.local, on: SerialQueue(label: "poller-isolation-other")) { _ in
            otherReceived.add(readAll(other.local), ordering: .relaxed)
            return true
        }
        defer { Self.poller.cancel(otherRegistration) }
        #expect(other.send(10, to: other.remote) == 10)
        let servedDuringTheLongTurn = try await eventually { otherReceived.load(ordering: .relaxed) == 10 }
        release.signal()
        #expect(servedDuringTheLongTurn)
        #expect(try await eventually { busyReceived.load(ordering: .relaxed) == 40 })
        #expect(mostAtOnce.load(ordering: .relaxed) == 1)
    }

    /// Work queued on an owner's queue (a flush a sender queued, a timer's check) that runs long
    /// holds no poller thread: the turn for the owner's event is queued after that work. Two
    /// such owners get an event each, one for each poller thread, and both threads stay free for
    /// everyone else's events.
    @Test func workOnAnOwnersQueueHoldsNoPollerThread() async throws {
        let release = DispatchSemaphore(value: 0)
        let occupiedReceived = Atomic<Int>(0)
        let occupied = try (0..<2).map { _ in try SocketPair() }
        var registrations: [ReadinessPoller.Registration] = []
        defer { registrations.forEach(Self.poller.cancel) }
        for (index, pair) in occupied.enumerated() {
            let queue = SerialQueue(label: "poller-isolation-occupied-\(index)")
            registrations.append(try Self.poller.watch(pair.local, on: queue) { _ in
                occupiedReceived.add(readAll(pair.local), ordering: .relaxed)
                return true
            })
            let started = DispatchSemaphore(value: 0)
            queue.async {
                started.signal()
                release.wait()
            }
            started.wait()
            #expect(pair.send(10, to: pair.remote) == 10)
            try await Task.sleep(for: .milliseconds(30))
        }
        let freeReceived = Atomic<Int>(0)
        let free = try (0..<2).map { _ in try SocketPair() }
        for (index, pair) in free.enumerated() {
            registrations.append(try Self.poller.watch(pair.local, on: SerialQueue(label: "poller-isolation-free-\(index)")) { _ in
                freeReceived.add(readAll(pair.local), ordering: .relaxed)
                return true
            })
            #expect(pair.send(10, to: pair.remote) == 10)
        }
        let servedMeanwhile = try await eventually { freeReceived.load(ordering: .relaxed) == 20 }
        release.signal()
        release.signal()
        #expect(servedMeanwhile, "a poller thread waited behind an occupied queue")
        #expect(try await eventually { occupiedReceived.load(ordering: .relaxed) == 20 })
    }

    @Test func eventsDuringATurnAreHandledByOneTurnAfterIt() async throws {
        let pair = try SocketPair()
        let release = DispatchSemaphore(value: 0)
        let turns = Atomic<Int>(0)
        let received = Atomic<Int>(0)
        let registration = try Self.poller.watch(pair.local, on: SerialQueue(label: "poller-isolation-noted")) { _ in
            if turns.add(1, ordering: .relaxed).newValue == 1 { release.wait() }
            received.add(readAll(pair.local), ordering: .relaxed)
            return true
        }
        defer { Self.poller.cancel(registration) }
        #expect(pair.send(1, to: pair.remote) == 1)
        #expect(try await eventually { turns.load(ordering: .relaxed) == 1 })
        for _ in 0..<5 {
            #expect(pair.send(1, to: pair.remote) == 1)
            try await Task.sleep(for: .milliseconds(10))
        }
        release.signal()
        #expect(try await eventually { received.load(ordering: .relaxed) == 6 })
        // The first turn read everything; the five events it missed make at most one turn more
        // (none when the kernel finds nothing left to report by then), not five.
        try await Task.sleep(for: .milliseconds(100))
        #expect(turns.load(ordering: .relaxed) <= 2)
    }
}
