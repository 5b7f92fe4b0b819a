import Dispatch
import Foundation
import Glibc
@testable import MPRelayBroker
import Synchronization
import Testing

/// The poller on real socket pairs: handlers run on their owner's queue, unfinished read turns
/// continue without a new event, writable events follow a full send buffer, and a cancelled
/// registration hears nothing more.
@Suite("Readiness poller")
struct ReadinessPollerTests {
    /// A nonblocking AF_UNIX stream pair, closed at the end of the test.
    private final class SocketPair: Sendable {
        let local: Int32
        let remote: Int32

        init() throws {
            var fds: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            local = fds[0]
            remote = fds[1]
        }

        func send(_ count: Int, to fd: Int32) -> Int {
            let bytes = [UInt8](repeating: 7, count: count)
            return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        deinit {
            close(local)
            close(remote)
        }
    }

    /// Waits up to 5 s for `condition`.
    private func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func readableEventsRunTheHandlerOnTheOwnersQueue() async throws {
        let pair = try SocketPair()
        let queue = DispatchQueue(label: "poller-test-owner")
        let received = Mutex(0)
        let registration = ReadinessPoller.shared.watch(pair.local, on: queue) { readiness in
            dispatchPrecondition(condition: .onQueue(queue))
            guard readiness.contains(.readable) else { return true }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(pair.local, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { return true }
                received.withLock { $0 += count }
            }
        }
        defer { ReadinessPoller.shared.cancel(registration) }
        #expect(pair.send(100, to: pair.remote) == 100)
        #expect(try await eventually { received.withLock { $0 } == 100 })
        #expect(pair.send(50, to: pair.remote) == 50)
        #expect(try await eventually { received.withLock { $0 } == 150 })
    }

    @Test func anUnfinishedTurnContinuesWithoutANewEvent() async throws {
        let pair = try SocketPair()
        let queue = DispatchQueue(label: "poller-test-turns")
        let turns = Mutex(0)
        let received = Mutex(0)
        // One byte per turn, as a connection at its per-turn limit: every turn but the last
        // leaves data behind, which an edge-triggered registration never reports again.
        let registration = ReadinessPoller.shared.watch(pair.local, on: queue) { readiness in
            guard readiness.contains(.readable) else { return true }
            turns.withLock { $0 += 1 }
            var byte: UInt8 = 0
            guard recv(pair.local, &byte, 1, 0) == 1 else { return true }
            received.withLock { $0 += 1 }
            return false
        }
        defer { ReadinessPoller.shared.cancel(registration) }
        #expect(pair.send(64, to: pair.remote) == 64)
        #expect(try await eventually { received.withLock { $0 } == 64 })
        #expect(turns.withLock { $0 } >= 65)
    }

    @Test func roomAfterAFullSendBufferIsReportedAsWritable() async throws {
        let pair = try SocketPair()
        let queue = DispatchQueue(label: "poller-test-writable")
        let full = Mutex(false)
        let writableAfterFull = Mutex(false)
        let registration = ReadinessPoller.shared.watch(pair.local, on: queue) { readiness in
            if readiness.contains(.writable) && full.withLock({ $0 }) { writableAfterFull.withLock { $0 = true } }
            return true
        }
        defer { ReadinessPoller.shared.cancel(registration) }
        queue.sync {
            while pair.send(65_536, to: pair.local) > 0 {}
            let error = errno
            full.withLock { $0 = error == EAGAIN }
        }
        #expect(full.withLock { $0 })
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while buffer.withUnsafeMutableBytes({ recv(pair.remote, $0.baseAddress, $0.count, 0) }) > 0 {}
        #expect(try await eventually { writableAfterFull.withLock { $0 } })
    }

    @Test func aCancelledRegistrationHearsNothingMore() async throws {
        let pair = try SocketPair()
        let queue = DispatchQueue(label: "poller-test-cancel")
        let calls = Mutex(0)
        let registration = ReadinessPoller.shared.watch(pair.local, on: queue) { _ in
            calls.withLock { $0 += 1 }
            return true
        }
        // The registration reports the socket writable once; let that pass before counting.
        #expect(try await eventually { calls.withLock { $0 } >= 1 })
        ReadinessPoller.shared.cancel(registration)
        queue.sync {}
        let before = calls.withLock { $0 }
        #expect(pair.send(10, to: pair.remote) == 10)
        try await Task.sleep(for: .milliseconds(200))
        #expect(calls.withLock { $0 } == before)
    }
}
