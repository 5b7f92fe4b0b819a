import MPRelayCore
import Testing

@Suite struct DeliveryStagingTests {
    @Test func nothingFitsWithoutAReceiver() {
        let staging = DeliveryStaging<TestPeer>()
        #expect(!staging.fits(1))
    }

    @Test func framesFitWhileBothTheBytesAndTheFramesReservedLast() {
        var staging = DeliveryStaging<TestPeer>()
        staging.receiver = TestPeer("bob")
        staging.reservedBytes = 100
        staging.reservedFrames = 2
        #expect(staging.fits(100))
        #expect(!staging.fits(101))
        staging.frames = [UInt8](repeating: 0, count: 60)
        staging.ids = [1]
        #expect(staging.fits(40) && !staging.fits(41))
        staging.ids.append(2)
        #expect(!staging.fits(1), "every reserved frame is used")
    }

    @Test func resetForgetsTheBatchButKeepsItsBuffers() {
        var staging = DeliveryStaging<TestPeer>()
        staging.receiver = TestPeer("bob")
        staging.frames = [UInt8](repeating: 0, count: 4096)
        staging.ids = [1, 2]
        staging.confirmations = [2]
        staging.payloadBytes = 10
        staging.reservedBytes = 5000
        staging.reservedFrames = 3
        let capacity = staging.frames.capacity
        staging.reset()
        #expect(staging.receiver == nil && staging.frames.isEmpty && staging.ids.isEmpty && staging.confirmations.isEmpty)
        #expect(staging.payloadBytes == 0 && staging.reservedBytes == 0 && staging.reservedFrames == 0)
        #expect(staging.frames.capacity == capacity)
    }

    @Test func reservationsRunToThirtyTwoFramesAQuarterOfTheBoundAnd256KiB() {
        #expect(DeliveryStaging<TestPeer>.reservation(for: 100, bound: 1 << 30) == 3200)
        #expect(DeliveryStaging<TestPeer>.reservation(for: 100, bound: 8000) == 2000)
        #expect(DeliveryStaging<TestPeer>.reservation(for: 100_000, bound: 1 << 30) == 256 * 1024)
        #expect(DeliveryStaging<TestPeer>.reservation(for: 5000, bound: 8000) == 5000, "at least one frame")
    }
}
