import MPRelayCluster
import MPRelayProtocol
import Testing

/// The numbering of deliveries between nodes: the sender's ledger and the receiver's
/// acknowledgements, driven without NATS, with the time given.
@Suite("Delivery links")
struct DeliveryLinkTests {
    private let subjects = ClusterSubjects(cluster: "prod")

    /// A batch of deliveries from connection 1 of node-a, one per `(receiver node, correlation
    /// id, confirm)`.
    private func batch(_ deliveries: [(node: String, id: UInt64, confirm: Bool)]) throws -> ClusterPublishBatch {
        var batch = ClusterPublishBatch(subjects: subjects, senderNode: "node-a", epoch: 7)
        for delivery in deliveries {
            var send: [UInt8] = []
            Array("bob".utf8).withUnsafeBytes { peer in
                [UInt8]().withUnsafeBytes { payload in
                    MessageView.appendBody(
                        kind: .send, options: delivery.confirm ? [.confirm] : [], flags: 0, correlationID: delivery.id,
                        peer: peer, payload: payload, to: &send
                    )
                }
            }
            try send.withUnsafeBytes { body in
                let message = try MessageView(body)
                Array("alice".utf8).withUnsafeBytes { sender in
                    batch.appendDelivery(message, from: sender, senderConnection: 1, to: "bob", on: delivery.node)
                }
            }
        }
        return batch
    }

    @Test func deliveriesAreNumberedPerNodeInPublishingOrder() throws {
        var ledger = OutboundLedger(node: "node-a", epoch: 7)
        var first = try batch([("b", 1, false), ("c", 2, false), ("b", 3, true)])
        var recorded = ledger.record(&first, now: 10)
        #expect(recorded && first.sends.map(\.sequence) == [1, 1, 2])
        var second = try batch([("b", 4, false)])
        recorded = ledger.record(&second, now: 20)
        #expect(recorded && second.sends.map(\.sequence) == [3])
        #expect(ledger.count == 4)
    }

    @Test func aBatchThatCouldNotBePublishedGivesItsNumbersBack() throws {
        var ledger = OutboundLedger(node: "node-a", epoch: 7)
        var failed = try batch([("b", 1, false), ("b", 2, true)])
        var recorded = ledger.record(&failed, now: 0)
        ledger.rollBack(failed)
        #expect(recorded && ledger.count == 0)
        var next = try batch([("b", 3, false)])
        recorded = ledger.record(&next, now: 0)
        #expect(recorded && next.sends.map(\.sequence) == [1])
    }

    @Test func framesThatWentOutStayWhenALaterOneCouldNotGo() throws {
        var ledger = OutboundLedger(node: "node-a", epoch: 7)
        var sent = try batch([("b", 1, false), ("c", 2, false), ("b", 3, false)])
        _ = ledger.record(&sent, now: 0)
        #expect(sent.sends(fromFrame: 1) == [1])
        ledger.rollBack(sent, fromFrame: 1)
        #expect(ledger.count == 2)
        var next = try batch([("c", 4, false), ("b", 5, false)])
        _ = ledger.record(&next, now: 0)
        #expect(next.sends.map(\.sequence) == [1, 3], "c's number is given out again, b's goes on")
    }

    @Test func acknowledgementsForgetAndLostRangesReport() throws {
        var ledger = OutboundLedger(node: "node-a", epoch: 7)
        var sent = try batch((1...6).map { ("b", $0, false) })
        _ = ledger.record(&sent, now: 0)
        var lost = ledger.acknowledge(LinkAcknowledgement(receiverNode: "b", epoch: 6, through: 6)).lost
        #expect(lost.isEmpty && ledger.count == 6, "another run's acknowledgement changes nothing")
        lost = ledger.acknowledge(LinkAcknowledgement(receiverNode: "b", epoch: 7, through: 4, lost: [2...3])).lost
        #expect(lost.map(\.correlationID) == [2, 3] && ledger.count == 2)
        lost = ledger.acknowledge(LinkAcknowledgement(receiverNode: "b", epoch: 7, through: 4, lost: [2...3])).lost
        #expect(lost.isEmpty, "a repeated acknowledgement reports nothing twice")
        let expired = ledger.expire(sentBefore: 1)
        #expect(expired.map(\.correlationID) == [5, 6] && ledger.count == 0)
        var confirmed = try batch([("b", 7, true)])
        _ = ledger.record(&confirmed, now: 2)
        let unanswered = ledger.expire(sentBefore: 3)
        #expect(unanswered.isEmpty && ledger.count == 0, "a confirmed delivery's ACK answers it, not the ledger")
    }

    @Test func refusalsInAnAcknowledgementComeBackWithTheirCodesOnce() throws {
        var ledger = OutboundLedger(node: "node-a", epoch: 7)
        var sent = try batch((1...8).map { ("b", $0, $0 == 6) })
        _ = ledger.record(&sent, now: 0)
        let acknowledgement = LinkAcknowledgement(
            receiverNode: "b", epoch: 7, through: 7, lost: [2...2],
            refused: [RefusedDeliveries(sequences: 3...4, code: .peerBusy), RefusedDeliveries(sequences: 6...7, code: .unknownPeer)]
        )
        var answer = ledger.acknowledge(acknowledgement)
        #expect(answer.lost.map(\.correlationID) == [2])
        #expect(answer.refused.map(\.send.correlationID) == [3, 4, 7], "a confirm delivery's ERROR comes in its outcome")
        #expect(answer.refused.map(\.code) == [.peerBusy, .peerBusy, .unknownPeer])
        #expect(ledger.count == 1)
        answer = ledger.acknowledge(acknowledgement)
        #expect(answer.lost.isEmpty && answer.refused.isEmpty, "a repeated acknowledgement answers nothing twice")
    }

    @Test func aReceiverCarriesItsRefusalsInRunsUntilTheWindowCloses() {
        var sequences = InboundSequences(node: "b", repeatWindow: 1_000, repeatInterval: 250)
        var first: [RefusedDeliveries] = []
        first.append(2, refusedWith: .peerBusy)
        first.append(3, refusedWith: .peerBusy)
        first.append(4, refusedWith: .unknownPeer)
        #expect(first == [RefusedDeliveries(sequences: 2...3, code: .peerBusy), RefusedDeliveries(sequences: 4...4, code: .unknownPeer)])
        _ = sequences.arrived(from: "a", epoch: 7, sequences: 1...4, refused: first, now: 0)
        // The next frame's first refusal continues the last run across the frames.
        _ = sequences.arrived(from: "a", epoch: 7, sequences: 5...6, refused: [RefusedDeliveries(sequences: 5...5, code: .unknownPeer)], now: 1)
        var turn = sequences.acknowledgements(now: 5)
        let expected = [RefusedDeliveries(sequences: 2...3, code: .peerBusy), RefusedDeliveries(sequences: 4...5, code: .unknownPeer)]
        #expect(turn.due.first?.acknowledgement == LinkAcknowledgement(receiverNode: "b", epoch: 7, through: 6, refused: expected))
        turn = sequences.acknowledgements(now: 300)
        #expect(turn.due.first?.acknowledgement.refused == expected, "repeated, in case the first was lost")
        _ = sequences.arrived(from: "a", epoch: 7, sequences: 7...7, now: 1_200)
        turn = sequences.acknowledgements(now: 1_205)
        #expect(turn.due.first?.acknowledgement.refused == [], "past the window they are no longer carried")
    }

    @Test func manyRefusedRunsAskForTheAcknowledgementAtOnceAndStayBounded() {
        var sequences = InboundSequences(node: "b", repeatWindow: 1_000, repeatInterval: 250)
        var owing: [InboundSequences.Owing] = []
        // Every other delivery refused: a run each.
        for index in UInt64(0)..<300 {
            let refused = [RefusedDeliveries(sequences: 2 * index + 2...2 * index + 2, code: .peerBusy)]
            owing.append(sequences.arrived(from: "a", epoch: 1, sequences: 2 * index + 1...2 * index + 2, refused: refused, now: 0))
        }
        #expect(owing[0] == .acknowledgement && owing[1] == .nothing)
        #expect(owing.firstIndex(of: .urgentAcknowledgement) == LinkAcknowledgement.maxRefusedRuns / 2)
        let refused = sequences.acknowledgements(now: 1).due.first?.acknowledgement.refused ?? []
        #expect(refused.count == LinkAcknowledgement.maxRefusedRuns && refused.last?.sequences == 600...600)
        let next = sequences.arrived(from: "a", epoch: 1, sequences: 601...602, refused: [RefusedDeliveries(sequences: 602...602, code: .peerBusy)], now: 2)
        #expect(next == .acknowledgement, "acknowledged: the count of runs not yet sent starts again")
    }

    @Test func aBoundedLedgerRefusesWholeBatches() throws {
        var ledger = OutboundLedger(node: "node-a", epoch: 7, limit: 2)
        var three = try batch([("b", 1, false), ("b", 2, false), ("b", 3, false)])
        var recorded = ledger.record(&three, now: 0)
        #expect(!recorded && three.sends.map(\.sequence) == [0, 0, 0])
        var two = try batch([("b", 1, false), ("b", 2, false)])
        recorded = ledger.record(&two, now: 0)
        #expect(recorded && two.sends.map(\.sequence) == [1, 2])
    }

    @Test func undeliverableAndAbandonedDeliveriesLeaveTheLedger() throws {
        var ledger = OutboundLedger(node: "node-a", epoch: 7)
        var sent = try batch([("b", 1, false), ("c", 2, false), ("b", 3, false), ("b", 4, true), ("b", 5, false)])
        _ = ledger.record(&sent, now: 0)
        var settled = ledger.settle(UndeliveredRun(senderNode: "node-a", receiverNode: "b", sequences: 2...3))
        #expect(settled.map(\.correlationID) == [3, 4], "NATS's 503 answers confirmed deliveries too")
        settled = ledger.settle(UndeliveredRun(senderNode: "node-a", receiverNode: "b", sequences: 2...3))
        #expect(settled.isEmpty)
        settled = ledger.settle(UndeliveredRun(senderNode: "node-a", receiverNode: "d", sequences: 1...1))
        #expect(settled.isEmpty)
        let abandoned = ledger.abandon(node: "b")
        #expect(abandoned.map(\.correlationID) == [1, 5] && ledger.count == 1)
        // The numbering to a node taken for dead goes on where it was.
        var later = try batch([("b", 6, false)])
        _ = ledger.record(&later, now: 0)
        #expect(later.sends.map(\.sequence) == [5])
    }

    @Test func aReceiverAcknowledgesWhatArrivedAndNamesTheGaps() {
        var sequences = InboundSequences(node: "b", repeatWindow: 1_000, repeatInterval: 250)
        let owing = [
            sequences.arrived(from: "a", epoch: 7, sequences: 1...1, now: 0),
            sequences.arrived(from: "a", epoch: 7, sequences: 2...2, now: 1),
            sequences.arrived(from: "a", epoch: 7, sequences: 5...5, now: 2),
            sequences.arrived(from: "a", epoch: 7, sequences: 4...4, now: 3),
        ]
        #expect(owing == [.acknowledgement, .nothing, .nothing, .nothing], "one acknowledgement owed for the lot")
        var turn = sequences.acknowledgements(now: 5)
        #expect(turn.due.map(\.node) == ["a"] && turn.nextRepeat == 255)
        #expect(turn.due.first?.acknowledgement == LinkAcknowledgement(receiverNode: "b", epoch: 7, through: 5, lost: [3...4]))
        turn = sequences.acknowledgements(now: 100)
        #expect(turn.due.isEmpty, "nothing new, and not yet time to repeat")
        turn = sequences.acknowledgements(now: 300)
        #expect(turn.due.first?.acknowledgement.through == 5 && turn.nextRepeat == 550)
        turn = sequences.acknowledgements(now: 1_100)
        #expect(turn.due.isEmpty && turn.nextRepeat == nil, "past the window: no more repeats")
        let owed = sequences.arrived(from: "a", epoch: 7, sequences: 6...6, now: 1_200)
        turn = sequences.acknowledgements(now: 1_205)
        #expect(owed == .acknowledgement && turn.due.first?.acknowledgement == LinkAcknowledgement(receiverNode: "b", epoch: 7, through: 6))
    }

    @Test func aRestartedSenderStartsItsNumbersAfresh() {
        var sequences = InboundSequences(node: "b", repeatWindow: 1_000, repeatInterval: 250)
        _ = sequences.arrived(from: "a", epoch: 7, sequences: 9...9, now: 0)
        _ = sequences.acknowledgements(now: 1)
        let owed = sequences.arrived(from: "a", epoch: 8, sequences: 1...1, now: 2)
        let turn = sequences.acknowledgements(now: 3)
        #expect(owed == .acknowledgement && turn.due.first?.acknowledgement == LinkAcknowledgement(receiverNode: "b", epoch: 8, through: 1))
    }

    @Test func lostRangesAreBounded() {
        var sequences = InboundSequences(node: "b", repeatWindow: 1_000, repeatInterval: 250)
        for index in UInt64(0)..<100 { _ = sequences.arrived(from: "a", epoch: 1, sequences: 2 * index + 2...2 * index + 2, now: 0) }
        let lost = sequences.acknowledgements(now: 1).due.first?.acknowledgement.lost ?? []
        #expect(lost.count == LinkAcknowledgement.maxLostRanges && lost.first == 73...73 && lost.last == 199...199)
    }
}
