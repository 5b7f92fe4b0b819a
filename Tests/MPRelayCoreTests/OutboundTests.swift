import MPRelayCore
import Testing

@Suite struct OutboundTests {
    private static let clock: UInt64 = 42_000

    private func now() -> UInt64 { Self.clock }

    private func append(_ queue: inout Outbound, _ length: Int, bound: Int = 100, maxFrames: Int = .max) -> Outbound.AppendOutcome {
        queue.append(frameLength: length, bound: bound, maxFrames: maxFrames, now: now) {
            $0.append(contentsOf: repeatElement(UInt8(length), count: length))
        }
    }

    @Test func theFirstAppendAsksForAFlushAndLaterOnesDoNot() {
        var queue = Outbound()
        #expect(append(&queue, 10) == .queuedNeedsFlush)
        #expect(append(&queue, 20) == .queued)
        #expect(queue.pending.count == 30 && queue.queuedBytes == 30)
        #expect(queue.queuedFrames == 2 && queue.pendingFrames == 2)
        #expect(queue.totalFrames == 2 && queue.totalBytes == 30)
    }

    @Test func aFrameOverTheByteBoundIsRefusedAndTheQueueMarkedFull() {
        var queue = Outbound()
        #expect(append(&queue, 60) == .queuedNeedsFlush)
        #expect(queue.fullSince == nil)
        #expect(append(&queue, 41) == .full)
        #expect(queue.fullSince == Self.clock)
        #expect(queue.queuedBytes == 60 && queue.pending.count == 60)
        #expect(append(&queue, 40) == .queued, "a frame that fits still goes in")
    }

    @Test func theFrameBoundRefusesToo() {
        var queue = Outbound()
        #expect(append(&queue, 1, maxFrames: 2) == .queuedNeedsFlush)
        #expect(append(&queue, 1, maxFrames: 2) == .queued)
        #expect(append(&queue, 1, maxFrames: 2) == .full)
    }

    @Test func aClosedQueueTakesNothing() {
        var queue = Outbound()
        #expect(append(&queue, 3) == .queuedNeedsFlush)
        queue.close()
        #expect(queue.closed && queue.pending.isEmpty && queue.queuedBytes == 0)
        #expect(append(&queue, 1) == .closed)
        #expect(queue.reserve(bytes: 10, minimum: 1, frames: 1, bound: 100, maxFrames: 10, now: now) == .closed)
        #expect(queue.commit([1], count: 1, reservedBytes: 1, reservedFrames: 1) == .closed)
        #expect(queue.fullSince == nil)
    }

    @Test func aReservationCountsAsQueuedUntilCommittedAndGivesBackWhatItDidNotUse() {
        var queue = Outbound()
        #expect(queue.reserve(bytes: 50, minimum: 10, frames: 8, bound: 100, maxFrames: 100, now: now) == .granted(bytes: 50, frames: 8))
        #expect(queue.queuedBytes == 50 && queue.queuedFrames == 8 && queue.pending.count == 0)
        #expect(append(&queue, 51) == .full, "the reservation holds its room against other senders")
        #expect(queue.commit([UInt8](repeating: 7, count: 30), count: 3, reservedBytes: 50, reservedFrames: 8) == .queuedNeedsFlush)
        #expect(queue.queuedBytes == 30 && queue.queuedFrames == 3 && queue.pendingFrames == 3)
        #expect(queue.totalBytes == 30 && queue.totalFrames == 3)
    }

    @Test func aReservationIsCutToTheRoomLeftButNeverBelowTheMinimum() {
        var queue = Outbound()
        _ = append(&queue, 70)
        #expect(queue.reserve(bytes: 50, minimum: 10, frames: 8, bound: 100, maxFrames: 5, now: now) == .granted(bytes: 30, frames: 4))
        #expect(queue.reserve(bytes: 50, minimum: 10, frames: 8, bound: 100, maxFrames: 100, now: now) == .full)
        #expect(queue.fullSince == Self.clock)
    }

    @Test func clearingFullSinceDisarmsTheSlowConsumerCheck() {
        var queue = Outbound()
        queue.fullSince = 1
        queue.slowConsumerCheckArmed = true
        queue.fullSince = nil
        #expect(queue.slowConsumerCheckArmed == false)
    }
}
