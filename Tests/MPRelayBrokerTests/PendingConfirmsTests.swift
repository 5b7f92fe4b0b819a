@testable import MPRelayBroker
import MPRelayCluster
import MPRelayProtocol
import Testing

/// The `confirm` SENDs awaiting another node's answer: settled by an answer, abandoned (to be
/// answered ERROR `unknown peer`) when their node dies, expired when no answer comes in time,
/// and bounded.
@Suite struct PendingConfirmsTests {
    private func send(_ connection: UInt64, _ id: UInt64, to node: String) -> UndeliveredSend {
        UndeliveredSend(senderNode: "a", receiverNode: node, senderConnection: connection, correlationID: id, receiver: "bob")
    }

    @Test func anAnswerSettlesOnlyItsOwnSend() {
        let pending = PendingConfirms()
        #expect(pending.track(send(1, 7, to: "b"), now: 0))
        #expect(pending.track(send(2, 7, to: "b"), now: 0))
        #expect(pending.settle(connection: 1, correlationID: 7))
        #expect(!pending.settle(connection: 1, correlationID: 7))
        #expect(pending.count == 1)
    }

    @Test func aDeadNodeGivesBackEverySendWaitingForItAndNoOther() {
        let pending = PendingConfirms()
        _ = pending.track(send(1, 1, to: "b"), now: 0)
        _ = pending.track(send(1, 2, to: "c"), now: 0)
        _ = pending.track(send(3, 1, to: "b"), now: 0)
        #expect(pending.abandon(node: "b") == [send(1, 1, to: "b"), send(3, 1, to: "b")])
        #expect(pending.abandon(node: "b") == [])
        #expect(pending.count == 1)
    }

    @Test func sendsUnansweredPastTheDeadlineExpireOldestFirstAndOnlyThem() {
        let pending = PendingConfirms()
        _ = pending.track(send(2, 1, to: "b"), now: 100)
        _ = pending.track(send(1, 1, to: "c"), now: 200)
        _ = pending.track(send(1, 2, to: "b"), now: 300)
        #expect(pending.expire(sentBefore: 250) == [send(1, 1, to: "c"), send(2, 1, to: "b")])
        #expect(pending.expire(sentBefore: 250) == [])
        #expect(pending.count == 1)
    }

    @Test func pastTheLimitNothingMoreIsTracked() {
        let pending = PendingConfirms(limit: 2)
        #expect(pending.track(send(1, 1, to: "b"), now: 0))
        #expect(pending.track(send(1, 2, to: "b"), now: 0))
        #expect(!pending.track(send(1, 3, to: "b"), now: 0))
        pending.settle(connection: 1, correlationID: 1)
        #expect(pending.track(send(1, 3, to: "b"), now: 0))
    }
}
