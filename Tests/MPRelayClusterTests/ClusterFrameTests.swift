import MPRelayCluster
import MPRelayProtocol
import Testing

/// The frames nodes publish to each other: round trips, the exact layout, and every way a
/// frame can be malformed named.
@Suite("Cluster frames")
struct ClusterFrameTests {
    private let delivery = RemoteDelivery(
        senderNode: "node-a",
        senderConnection: 0x0102_0304_0506_0708,
        receiver: "bob",
        message: Message(options: [.reply], flags: 1, correlationID: 42, peer: "alice", payload: [9, 8, 7]),
        epoch: 0x1112_1314_1516_1718,
        sequence: 0x0102
    )
    /// The delivery's connection, epoch and sequence, as encoded.
    private let numbers: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0, 0, 0, 0, 0, 0, 1, 2]
    /// Connection 1, epoch 2 and sequence 3, as encoded.
    private let smallNumbers: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]

    @Test func aDeliveryHasTheDocumentedLayout() throws {
        let bytes = ClusterFrame.delivery(delivery).encoded()
        let deliver = Envelope.deliver(delivery.message).encodedBody()
        #expect(bytes == [0x01] + numbers + [6] + Array("node-a".utf8) + [3] + Array("bob".utf8) + deliver)
        #expect(try ClusterFrame(decoding: bytes) == .delivery(delivery))
        var confirmed = delivery
        confirmed.confirm = true
        #expect(ClusterFrame.delivery(confirmed).encoded() == [0x03] + bytes.dropFirst())
        #expect(try ClusterFrame(decoding: [0x03] + bytes.dropFirst()) == .delivery(confirmed))
    }

    @Test func outcomesCarryAnAckOrAnError() throws {
        let ack = ClusterFrame.outcome(DeliveryOutcome(senderConnection: 7, envelope: .ack(correlationID: 42)))
        #expect(try ClusterFrame(decoding: ack.encoded()) == ack)
        #expect(ack.encoded() == [0x02, 0, 0, 0, 0, 0, 0, 0, 7] + Envelope.ack(correlationID: 42).encodedBody())
        let error = ClusterFrame.outcome(DeliveryOutcome(
            senderConnection: 7,
            envelope: .error(ErrorReport(code: .peerBusy, correlationID: 42, peer: Array("bob".utf8), text: "peer busy"))
        ))
        #expect(try ClusterFrame(decoding: error.encoded()) == error)
    }

    @Test func theLongestNamesFit() throws {
        let long = try PeerName(String(repeating: "n", count: PeerName.maxLength))
        var wide = delivery
        wide.receiver = long
        wide.message.peer = long
        wide.senderNode = String(repeating: "x", count: 64)
        #expect(try ClusterFrame(decoding: ClusterFrame.delivery(wide).encoded()) == .delivery(wide))
    }

    @Test func malformedFramesAreNamed() {
        let good = ClusterFrame.delivery(delivery).encoded()
        expect([], .empty)
        expect([0x05] + Array(good.dropFirst()), .unknownKind(5))
        expect(Array(good.prefix(5)), .truncated("sender connection"))
        expect(Array(good.prefix(12)), .truncated("epoch"))
        expect(Array(good.prefix(20)), .truncated("sequence"))
        expect(Array(good.prefix(25)), .truncated("sender node"))
        expect(Array(good.prefix(28)), .truncated("sender node"))
        expect(Array(good.prefix(32)), .truncated("receiver"))
        expect([0x01] + smallNumbers + [3] + Array("a.b".utf8) + [1, 0x62], .invalidNode(Array("a.b".utf8)[...]))
        expect([0x01] + smallNumbers + [1, 0x61, 1, 0x2A] + Envelope.deliver(delivery.message).encodedBody(), .invalidReceiver(.forbiddenCharacter("*")))
        expect(Array(good.prefix(36)), .invalidEnvelope(.empty))
        let ping = [0x01] + smallNumbers + [1, 0x61, 1, 0x62] + Envelope.ping(correlationID: 1).encodedBody()
        expect(ping, .unexpectedEnvelope(.ping))
        expect([0x02, 0, 0, 0, 0, 0, 0, 0, 1] + Envelope.deliver(delivery.message).encodedBody(), .unexpectedEnvelope(.deliver))
    }

    private func expect(_ bytes: [UInt8], _ expected: ClusterFrameError, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try ClusterFrame(decoding: bytes) }
        // A delivery read in place refuses the same frames; an outcome or an acknowledgement is
        // not a delivery.
        let expectedInPlace = bytes.first == 0x02 || bytes.first == 0x04 ? ClusterFrameError.unknownKind(bytes[0]) : expected
        #expect(throws: expectedInPlace, sourceLocation: sourceLocation) { try IncomingDelivery(decoding: bytes) }
    }

    @Test func aDeliveryReadInPlaceSaysWhatTheFrameSays() throws {
        for confirm in [false, true] {
            var sent = delivery
            sent.confirm = confirm
            let incoming = try IncomingDelivery(decoding: ClusterFrame.delivery(sent).encoded())
            #expect(incoming.confirm == confirm && incoming.senderConnection == sent.senderConnection)
            #expect(incoming.senderNode == sent.senderNode && incoming.receiver == sent.receiver)
            #expect(incoming.correlationID == sent.message.correlationID)
            #expect(incoming.epoch == sent.epoch && incoming.sequence == sent.sequence)
            incoming.withMessage { message in
                #expect(message.kind == .deliver && message.options == sent.message.options && message.flags == sent.message.flags)
                #expect(Array(message.peer) == sent.message.peer.bytes && Array(message.payload) == sent.message.payload)
            }
        }
    }

    @Test func anAcknowledgementHasTheDocumentedLayout() throws {
        let acknowledgement = LinkAcknowledgement(receiverNode: "node-b", epoch: 2, through: 9, lost: [3...4, 7...7])
        let bytes = ClusterFrame.acknowledgement(acknowledgement).encoded()
        let ranges: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 7]
        #expect(bytes == [0x04, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9, 6] + Array("node-b".utf8) + [2] + ranges)
        #expect(try ClusterFrame(decoding: bytes) == .acknowledgement(acknowledgement))
        let plain = ClusterFrame.acknowledgement(LinkAcknowledgement(receiverNode: "b", epoch: 1, through: 0))
        #expect(try ClusterFrame(decoding: plain.encoded()) == plain)
    }

    @Test func malformedAcknowledgementsAreNamed() {
        func frame(through: UInt64 = 9, count: UInt8, _ ranges: [(UInt64, UInt64)], tail: [UInt8] = []) -> [UInt8] {
            var bytes: [UInt8] = [0x04, 0, 0, 0, 0, 0, 0, 0, 2]
            bytes.appendBigEndian(through)
            bytes += [1, 0x62, count]
            for (first, last) in ranges { bytes.appendBigEndian(first); bytes.appendBigEndian(last) }
            return bytes + tail
        }
        expect(Array(frame(count: 0, []).prefix(12)), .truncated("through"))
        expect([0x04, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9, 1, 0x2E, 0], .invalidNode([0x2E]))
        expect(Array(frame(count: 0, []).dropLast()), .truncated("lost count"))
        expect(frame(count: 1, []), .truncated("lost range"))
        expect(frame(count: 65, []), .invalidLostRange("65 lost ranges, more than 64"))
        expect(frame(count: 1, [(5, 4)]), .invalidLostRange("5...4 after none, through 9"))
        expect(frame(count: 1, [(5, 10)]), .invalidLostRange("5...10 after none, through 9"))
        expect(frame(count: 1, [(0, 1)]), .invalidLostRange("0...1 after none, through 9"))
        expect(frame(count: 2, [(3, 5), (5, 6)]), .invalidLostRange("5...6 after 3...5, through 9"))
        expect(frame(count: 0, [], tail: [0]), .trailingBytes(1))
    }

    @Test func subjectsArePerClusterAndNode() {
        #expect(ClusterSubjects(cluster: "prod").node("node-a") == "mprelay.prod.node.node-a")
        #expect(ClusterSubjects(cluster: "prod").unreachableReplies(of: "node-a") == "mprelay.prod.unreachable.node-a.>")
    }

    @Test func aDeliveryWrittenInPlaceIsTheSameBytesAsOneBuilt() throws {
        let subjects = ClusterSubjects(cluster: "prod")
        for options: MessageOptions in [[], [.confirm], [.reply], [.confirm, .reply]] {
            var send: [UInt8] = []
            let payload: [UInt8] = [9, 8, 7]
            payload.withUnsafeBytes { payload in
                Array("a.b=c".utf8).withUnsafeBytes { name in
                    MessageView.appendBody(kind: .send, options: options, flags: 3, correlationID: 1 << 40, peer: name, payload: payload, to: &send)
                }
            }
            var inPlace = ClusterPublishBatch(subjects: subjects, epoch: 5)
            try send.withUnsafeBytes { body in
                let message = try MessageView(body)
                Array("alice".utf8).withUnsafeBytes { sender in
                    inPlace.appendDelivery(message, from: sender, senderNode: "node-a", senderConnection: 77, to: "a.b=c", on: "node-b")
                }
            }
            var built = ClusterPublishBatch(subjects: subjects)
            let delivery = RemoteDelivery(
                senderNode: "node-a",
                senderConnection: 77,
                receiver: "a.b=c",
                message: Message(options: options.intersection(.forwarded), flags: 3, correlationID: 1 << 40, peer: "alice", payload: payload),
                confirm: options.contains(.confirm),
                epoch: 5,
                sequence: 1
            )
            let undelivered = UndeliveredSend(
                senderNode: "node-a", receiverNode: "node-b", senderConnection: 77, correlationID: 1 << 40, receiver: "a.b=c", sequence: 1
            )
            built.append(.delivery(delivery), to: "node-b", undelivered: undelivered)
            // Numbered when published: the sequence is written in place, in frame and subject.
            #expect(inPlace.bytes != built.bytes)
            var ledger = OutboundLedger(epoch: 5)
            #expect(ledger.record(&inPlace, now: 0))
            #expect(inPlace.bytes == built.bytes)
            #expect(inPlace.count == 1 && inPlace.sends == [undelivered])
            #expect(inPlace.isConfirmed(0) == options.contains(.confirm))
        }
    }

    @Test func anUnreachableReplyNamesTheSendItStandsFor() {
        let subjects = ClusterSubjects(cluster: "prod")
        let send = UndeliveredSend(senderNode: "a", receiverNode: "b-2", senderConnection: 17, correlationID: 1 << 63, receiver: "a.b=c", sequence: 0xABC)
        let subject = subjects.unreachable(send)
        #expect(subject == "mprelay.prod.unreachable.a.b-2.17.9223372036854775808.0000000000000abc.a=2Eb=3Dc")
        #expect(subjects.undeliveredSend(subject) == send)
        #expect(ClusterSubjects(cluster: "test").undeliveredSend(subject) == nil)
        #expect(subjects.undeliveredSend("mprelay.prod.unreachable.a.b.17.x.0000000000000001.bob") == nil)
        #expect(subjects.undeliveredSend("mprelay.prod.unreachable.a.b.17.1.0000000000000001") == nil)
        #expect(subjects.undeliveredSend("mprelay.prod.unreachable.a.b.17.1.0000000000000001.b=62") == nil)
        #expect(subjects.undeliveredSend("mprelay.prod.unreachable.a.b.17.1.1.bob") == nil)
        #expect(subjects.undeliveredSend("mprelay.prod.unreachable.a.b.17.1.000000000000000g.bob") == nil)
    }
}
