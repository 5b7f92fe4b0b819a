import Dispatch
import Foundation
import Glibc
@testable import MPRelayBroker
import MPRelayPOSIX
import Synchronization
import Testing

/// The poller on real socket pairs: handlers run on their owner's queue, unfinished read turns
/// continue without a new event, writable events come only while a write waits for room, a
/// descriptor the kernel refuses is an error, and a cancelled registration hears nothing more.
/// Turn-taking on a poller of its own is in ``PollerIsolationTests``.
@Suite("Readiness poller")
struct ReadinessPollerTests {
    @Test func readableEventsRunTheHandlerOnTheOwnersQueue() async throws {
        let pair = try SocketPair()
        let queue = SerialQueue(label: "poller-test-owner")
        let received = Mutex(0)
        let registration = try ReadinessPoller.shared.watch(pair.local, on: queue) { readiness in
            dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
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
        let queue = SerialQueue(label: "poller-test-turns")
        let turns = Mutex(0)
        let received = Mutex(0)
        // One byte per turn, as a connection at its per-turn limit: every turn but the last
        // leaves data behind, which an edge-triggered registration never reports again.
        let registration = try ReadinessPoller.shared.watch(pair.local, on: queue) { readiness in
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

    @Test func roomIsReportedOnlyWhileExpected() async throws {
        let pair = try SocketPair()
        let queue = SerialQueue(label: "poller-test-writable")
        let writable = Mutex(0)
        let registration = try ReadinessPoller.shared.watch(pair.local, on: queue) { readiness in
            if readiness.contains(.writable) { writable.withLock { $0 += 1 } }
            return true
        }
        defer { ReadinessPoller.shared.cancel(registration) }
        // Not expected: a full send buffer that empties again wakes nobody.
        queue.sync { while pair.send(65_536, to: pair.local) > 0 {} }
        _ = readAll(pair.remote)
        try await Task.sleep(for: .milliseconds(200))
        #expect(writable.withLock { $0 } == 0)
        // Expected after a write would block: the room that follows is reported.
        let full = queue.sync {
            while pair.send(65_536, to: pair.local) > 0 {}
            let blocked = errno == EAGAIN
            #expect(throws: Never.self) { try ReadinessPoller.shared.expectRoom(registration, true) }
            return blocked
        }
        #expect(full)
        _ = readAll(pair.remote)
        #expect(try await eventually { writable.withLock { $0 } >= 1 })
        // Withdrawn once written: no more writable events.
        queue.sync { #expect(throws: Never.self) { try ReadinessPoller.shared.expectRoom(registration, false) } }
        let seen = writable.withLock { $0 }
        queue.sync { while pair.send(65_536, to: pair.local) > 0 {} }
        _ = readAll(pair.remote)
        try await Task.sleep(for: .milliseconds(200))
        #expect(writable.withLock { $0 } == seen)
    }

    @Test func aCancelledRegistrationHearsNothingMore() async throws {
        let pair = try SocketPair()
        let queue = SerialQueue(label: "poller-test-cancel")
        let calls = Mutex(0)
        let registration = try ReadinessPoller.shared.watch(pair.local, on: queue) { _ in
            calls.withLock { $0 += 1 }
            return true
        }
        #expect(pair.send(10, to: pair.remote) == 10)
        #expect(try await eventually { calls.withLock { $0 } >= 1 })
        ReadinessPoller.shared.cancel(registration)
        queue.sync {}
        let before = calls.withLock { $0 }
        #expect(pair.send(10, to: pair.remote) == 10)
        try await Task.sleep(for: .milliseconds(200))
        #expect(calls.withLock { $0 } == before)
    }

    @Test func aDescriptorTheKernelCannotWatchIsAnErrorNotACrash() throws {
        var template = Array("/tmp/mprelay-poller-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        try #require(fd >= 0)
        defer {
            close(fd)
            _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        }
        // A regular file has no readiness to report: epoll_ctl refuses it with EPERM.
        let error = #expect(throws: SocketError.self) {
            try ReadinessPoller.shared.watch(fd, on: SerialQueue(label: "poller-test-file")) { _ in true }
        }
        #expect(error?.errno == EPERM)
        #expect(error?.description.contains("epoll_ctl(ADD) on descriptor \(fd) failed") == true)
    }
}
