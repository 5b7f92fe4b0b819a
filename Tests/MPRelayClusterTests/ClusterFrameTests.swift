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

    /// `delivery` and the next one: to carol, with confirm.
    private var pair: [RemoteDelivery] {
        var second = delivery
        second.receiver = "carol"
        second.confirm = true
        second.sequence += 1
        return [delivery, second]
    }

    /// A frame of deliveries from node "a" (epoch 2, first sequence 3) holding `entries`, each
    /// given whole (flags onwards).
    private func frame(_ entries: [[UInt8]], count: UInt32? = nil) -> [UInt8] {
        var bytes: [UInt8] = [0x01]
        bytes.appendBigEndian(UInt64(2))
        bytes.appendBigEndian(UInt64(3))
        bytes += [1, 0x61]
        bytes.appendBigEndian(count ?? UInt32(entries.count))
        for entry in entries {
            bytes.appendBigEndian(UInt32(entry.count))
            bytes += entry
        }
        return bytes
    }

    /// An entry from connection 1 for `receiver`, with `body` as its DELIVER.
    private func entry(flags: UInt8 = 0, receiver: [UInt8] = Array("bob".utf8), body: [UInt8]? = nil) -> [UInt8] {
        [flags, 0, 0, 0, 0, 0, 0, 0, 1, UInt8(receiver.count)] + receiver + (body ?? Envelope.deliver(delivery.message).encodedBody())
    }

    @Test func deliveriesHaveTheDocumentedLayout() throws {
        let bytes = ClusterFrame.deliveries(pair).encoded()
        let deliver = Envelope.deliver(delivery.message).encodedBody()
        var expected: [UInt8] = [0x01, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0, 0, 0, 0, 0, 0, 1, 2, 6]
        expected += Array("node-a".utf8) + [0, 0, 0, 2]
        let connection: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        expected += [0, 0, 0, UInt8(10 + 3 + deliver.count), 0x00] + connection + [3] + Array("bob".utf8) + deliver
        expected += [0, 0, 0, UInt8(10 + 5 + deliver.count), 0x01] + connection + [5] + Array("carol".utf8) + deliver
        #expect(bytes == expected)
        #expect(try ClusterFrame(decoding: bytes) == .deliveries(pair))
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
        #expect(try ClusterFrame(decoding: ClusterFrame.deliveries([wide]).encoded()) == .deliveries([wide]))
    }

    @Test func malformedFramesAreNamed() {
        let good = ClusterFrame.deliveries([delivery]).encoded()
        expect([], .empty)
        expect([0x05] + Array(good.dropFirst()), .unknownKind(5))
        expect(Array(good.prefix(5)), .truncated("epoch"))
        expect(Array(good.prefix(12)), .truncated("first sequence"))
        expect(Array(good.prefix(17)), .truncated("sender node"))
        expect(Array(good.prefix(20)), .truncated("sender node"))
        expect(Array(good.prefix(26)), .truncated("count"))
        expect(frame([]), .noDeliveries)
        expect(frame([entry()], count: 2), .truncated("delivery length"))
        expect(frame([entry()], count: 1_000_000), .truncated("delivery"))
        expect(Array(frame([entry()]).dropLast()), .truncated("delivery"))
        expect(frame([entry()]) + [0], .trailingBytes(1))
        expect(frame([[]]), .truncated("delivery"))
        expect(frame([[], entry()]), .truncated("delivery flags"))
        expect(frame([[0, 1, 2], entry()]), .truncated("sender connection"))
        expect(frame([entry(flags: 2)]), .unknownFlags(2))
        let badNode: [UInt8] = [0x01, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 3] + Array("a.b".utf8) + [0, 0, 0, 1]
        expect(badNode, .invalidNode(Array("a.b".utf8)[...]))
        expect(frame([[0, 0, 0, 0, 0, 0, 0, 0, 1, 5, 0x62]]), .truncated("receiver"))
        expect(frame([entry(receiver: [0x2A])]), .invalidReceiver(.forbiddenCharacter("*")))
        expect(frame([entry(body: [])]), .invalidEnvelope(.empty))
        expect(frame([entry(body: Envelope.ping(correlationID: 1).encodedBody())]), .unexpectedEnvelope(.ping))
        var last = [UInt8](repeating: 0xFF, count: 8)
        var overflowing = frame([entry(), entry()])
        overflowing.replaceSubrange(9..<17, with: last)
        expect(overflowing, .sequenceOverflow)
        last[7] = 0xFE
        overflowing.replaceSubrange(9..<17, with: last)
        #expect(throws: Never.self) { try ClusterFrame(decoding: overflowing) }
        expect([0x02, 0, 0, 0, 0, 0, 0, 0, 1] + Envelope.deliver(delivery.message).encodedBody(), .unexpectedEnvelope(.deliver))
    }

    private func expect(_ bytes: [UInt8], _ expected: ClusterFrameError, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try ClusterFrame(decoding: bytes) }
        // Deliveries read in place refuse the same frames; an outcome or an acknowledgement is
        // not a frame of deliveries.
        let expectedInPlace = bytes.first == 0x02 || bytes.first == 0x04 ? ClusterFrameError.unknownKind(bytes[0]) : expected
        #expect(throws: expectedInPlace, sourceLocation: sourceLocation) { try IncomingDeliveries(decoding: bytes) }
    }

    @Test func deliveriesReadInPlaceSayWhatTheFrameSays() throws {
        let incoming = try IncomingDeliveries(decoding: ClusterFrame.deliveries(pair).encoded())
        #expect(incoming.senderNode == delivery.senderNode && incoming.epoch == delivery.epoch)
        #expect(incoming.firstSequence == delivery.sequence && incoming.lastSequence == delivery.sequence + 1)
        for (read, sent) in zip(incoming.deliveries, pair) {
            #expect(read.confirm == sent.confirm && read.senderConnection == sent.senderConnection && read.sequence == sent.sequence)
            #expect(read.receiver == sent.receiver && read.sender == sent.message.peer && read.correlationID == sent.message.correlationID)
            read.withMessage { message in
                #expect(message.kind == .deliver && message.options == sent.message.options && message.flags == sent.message.flags)
                #expect(Array(message.peer) == sent.message.peer.bytes && Array(message.payload) == sent.message.payload)
            }
        }
    }

    /// A frame's decoding checks each distinct name once and finds it again after: names that
    /// repeat, alternate and come back each read as sent, and a bad name after good ones is
    /// still refused.
    @Test func namesThatRepeatInAFrameReadAsSent() throws {
        let receivers: [PeerName] = ["bob", "bob", "carol", "bob", "dave", "carol"]
        let senders: [PeerName] = ["alice", "alice", "alice", "erin", "alice", "erin"]
        let deliveries = zip(receivers, senders).enumerated().map { index, names in
            var sent = delivery
            sent.receiver = names.0
            sent.message.peer = names.1
            sent.sequence += UInt64(index)
            return sent
        }
        let incoming = try IncomingDeliveries(decoding: ClusterFrame.deliveries(deliveries).encoded())
        #expect(incoming.deliveries.map(\.receiver) == receivers)
        #expect(incoming.deliveries.map(\.sender) == senders)
        expect(frame([entry(), entry(), entry(receiver: Array("b b".utf8))]), .invalidReceiver(.forbiddenCharacter(" ")))
    }

    @Test func anAcknowledgementHasTheDocumentedLayout() throws {
        let acknowledgement = LinkAcknowledgement(
            receiverNode: "node-b", epoch: 2, through: 9, lost: [3...4, 7...7],
            refused: [RefusedDeliveries(sequences: 5...6, code: .peerBusy)]
        )
        let bytes = ClusterFrame.acknowledgement(acknowledgement).encoded()
        let ranges: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 7]
        let refused: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 6]
        #expect(bytes == [0x04, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9, 6] + Array("node-b".utf8) + [2] + ranges + refused)
        #expect(try ClusterFrame(decoding: bytes) == .acknowledgement(acknowledgement))
        let plain = ClusterFrame.acknowledgement(LinkAcknowledgement(receiverNode: "b", epoch: 1, through: 0))
        #expect(try ClusterFrame(decoding: plain.encoded()) == plain)
    }

    @Test func malformedAcknowledgementsAreNamed() {
        func acknowledgement(through: UInt64 = 9, count: UInt8, _ ranges: [(UInt64, UInt64)], refused: [UInt8] = [0], tail: [UInt8] = []) -> [UInt8] {
            var bytes: [UInt8] = [0x04, 0, 0, 0, 0, 0, 0, 0, 2]
            bytes.appendBigEndian(through)
            bytes += [1, 0x62, count]
            for (first, last) in ranges { bytes.appendBigEndian(first); bytes.appendBigEndian(last) }
            return bytes + refused + tail
        }
        func refused(_ runs: [(UInt64, UInt64, UInt16)]) -> [UInt8] {
            var bytes = [UInt8(runs.count)]
            for (first, last, code) in runs { bytes.appendBigEndian(first); bytes.appendBigEndian(last); bytes.appendBigEndian(code) }
            return bytes
        }
        expect(Array(acknowledgement(count: 0, []).prefix(12)), .truncated("through"))
        expect([0x04, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9, 1, 0x2E, 0], .invalidNode([0x2E]))
        expect(Array(acknowledgement(count: 0, [], refused: []).dropLast()), .truncated("lost count"))
        expect(acknowledgement(count: 1, []), .truncated("lost range"))
        expect(acknowledgement(count: 65, []), .invalidLostRange("65 lost ranges, more than 64"))
        expect(acknowledgement(count: 1, [(5, 4)]), .invalidLostRange("5...4 after none, through 9"))
        expect(acknowledgement(count: 1, [(5, 10)]), .invalidLostRange("5...10 after none, through 9"))
        expect(acknowledgement(count: 1, [(0, 1)]), .invalidLostRange("0...1 after none, through 9"))
        expect(acknowledgement(count: 2, [(3, 5), (5, 6)]), .invalidLostRange("5...6 after 3...5, through 9"))
        expect(acknowledgement(count: 0, [], tail: [0]), .trailingBytes(1))
        expect(acknowledgement(count: 0, [], refused: []), .truncated("refused count"))
        expect(acknowledgement(count: 0, [], refused: [1]), .truncated("refused run"))
        expect(acknowledgement(count: 0, [], refused: Array(refused([(3, 4, 6)]).dropLast())), .truncated("refused run's code"))
        expect(acknowledgement(count: 0, [], refused: refused([(3, 4, 999)])), .invalidRefusedRun("unknown ERROR code 999"))
        expect(acknowledgement(count: 0, [], refused: refused([(4, 3, 6)])), .invalidRefusedRun("4...3 after none, through 9"))
        expect(acknowledgement(count: 0, [], refused: refused([(8, 10, 6)])), .invalidRefusedRun("8...10 after none, through 9"))
        expect(acknowledgement(count: 0, [], refused: refused([(2, 4, 6), (4, 5, 1)])), .invalidRefusedRun("4...5 after 2...4, through 9"))
    }
}
