import MPRelayCluster
import MPRelayNATS
import MPRelayProtocol
import Testing

/// Deliveries written in place into frames, one per receiving node, and the subjects they are
/// published on.
@Suite("Cluster publish batches")
struct ClusterPublishBatchTests {
    private let subjects = ClusterSubjects(cluster: "prod")

    /// Appends a SEND of `payload` with `options` for `receiver` on `node`, from alice on
    /// connection 77.
    private func append(
        to batch: inout ClusterPublishBatch,
        _ receiver: PeerName,
        on node: String,
        options: MessageOptions = [],
        id: UInt64 = 1 << 40,
        payload: [UInt8] = [9, 8, 7]
    ) throws {
        var send: [UInt8] = []
        payload.withUnsafeBytes { payload in
            receiver.bytes.withUnsafeBytes { name in
                MessageView.appendBody(kind: .send, options: options, flags: 3, correlationID: id, peer: name, payload: payload, to: &send)
            }
        }
        try send.withUnsafeBytes { body in
            let message = try MessageView(body)
            Array("alice".utf8).withUnsafeBytes { sender in
                #expect(batch.fits(message, from: sender, to: receiver))
                batch.appendDelivery(message, from: sender, senderConnection: 77, to: receiver, on: node)
            }
        }
    }

    /// The DELIVER alice's SEND becomes.
    private func delivery(_ receiver: PeerName, options: MessageOptions = [], id: UInt64 = 1 << 40, sequence: UInt64) -> RemoteDelivery {
        RemoteDelivery(
            senderNode: "node-a",
            senderConnection: 77,
            receiver: receiver,
            message: Message(options: options.intersection(.forwarded), flags: 3, correlationID: id, peer: "alice", payload: [9, 8, 7]),
            confirm: options.contains(.confirm),
            epoch: 5,
            sequence: sequence
        )
    }

    @Test func deliveriesWrittenInPlaceAreTheFramesOfTheirNodes() throws {
        var batch = ClusterPublishBatch(subjects: subjects, senderNode: "node-a", epoch: 5)
        try append(to: &batch, "a.b=c", on: "node-b", options: [.confirm, .reply], id: 1)
        try append(to: &batch, "dave", on: "node-c", id: 2)
        try append(to: &batch, "erin", on: "node-b", id: 3)
        #expect(batch.count == 3 && batch.frameCount == 2)
        var ledger = OutboundLedger(node: "node-a", epoch: 5)
        let recorded = ledger.record(&batch, now: 0)
        #expect(recorded && batch.sends.map(\.sequence) == [1, 1, 2])
        #expect(batch.sends.map(\.confirm) == [true, false, false])
        var expected = NATSPublishBatch()
        let toB = ClusterFrame.deliveries([delivery("a.b=c", options: [.confirm, .reply], id: 1, sequence: 1), delivery("erin", id: 3, sequence: 2)])
        try expected.append("mprelay.prod.node.node-b", replyTo: "mprelay.prod.unreachable.node-a.node-b.1.2", payload: toB.encoded())
        let toC = ClusterFrame.deliveries([delivery("dave", id: 2, sequence: 1)])
        try expected.append("mprelay.prod.node.node-c", replyTo: "mprelay.prod.unreachable.node-a.node-c.1.1", payload: toC.encoded())
        #expect(batch.bytes == expected.bytes)
    }

    @Test func aFullFrameMakesWayForAnother() throws {
        var batch = ClusterPublishBatch(subjects: subjects, senderNode: "node-a", epoch: 5, maxFrameBytes: 64)
        for id in UInt64(1)...3 { try append(to: &batch, "bob", on: "node-b", id: id) }
        #expect(batch.frameCount == 3)
        var ledger = OutboundLedger(node: "node-a", epoch: 5)
        _ = ledger.record(&batch, now: 0)
        #expect(batch.sends.map(\.sequence) == [1, 2, 3])
    }

    @Test func aMessageLargerThanNATSTakesIsRefusedUpFront() throws {
        let batch = ClusterPublishBatch(subjects: subjects, senderNode: "node-a", epoch: 5, maxPayload: 100)
        var send: [UInt8] = []
        [UInt8](repeating: 1, count: 60).withUnsafeBytes { payload in
            Array("bob".utf8).withUnsafeBytes { name in
                MessageView.appendBody(kind: .send, options: [], flags: 0, correlationID: 1, peer: name, payload: payload, to: &send)
            }
        }
        try send.withUnsafeBytes { body in
            let message = try MessageView(body)
            Array("alice".utf8).withUnsafeBytes { sender in #expect(!batch.fits(message, from: sender, to: "bob")) }
        }
    }

    @Test func subjectsArePerClusterAndNode() {
        #expect(subjects.node("node-a") == "mprelay.prod.node.node-a")
        #expect(subjects.unreachableReplies(of: "node-a") == "mprelay.prod.unreachable.node-a.>")
    }

    @Test func anUnreachableReplyNamesTheDeliveriesItStandsFor() {
        let run = UndeliveredRun(senderNode: "a", receiverNode: "b-2", sequences: 17...1 << 63)
        let subject = subjects.unreachable(run)
        #expect(subject == "mprelay.prod.unreachable.a.b-2.17.9223372036854775808")
        #expect(subjects.undeliveredRun(subject) == run)
        #expect(ClusterSubjects(cluster: "test").undeliveredRun(subject) == nil)
        #expect(subjects.undeliveredRun("mprelay.prod.unreachable.a.b.x.1") == nil)
        #expect(subjects.undeliveredRun("mprelay.prod.unreachable.a.b.2.1") == nil)
        #expect(subjects.undeliveredRun("mprelay.prod.unreachable.a.b.1") == nil)
        #expect(subjects.undeliveredRun("mprelay.prod.unreachable.a.b.1.2.3") == nil)
        #expect(subjects.undeliveredRun("mprelay.prod.unreachable.a=.b.1.2") == nil)
    }
}
