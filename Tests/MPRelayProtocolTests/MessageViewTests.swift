import MPRelayProtocol
import Testing

/// The in-place reader and writer of SEND and DELIVER that the relay path uses.
@Suite("MessageView")
struct MessageViewTests {
    @Test("reads a SEND in place: the name and the payload point into the body")
    func readsInPlace() throws {
        let body = hex("03  03  01  00 00 00 00 00 00 01 00  03 62 6f 62") + utf8("payload")
        try body.withUnsafeBytes { bytes in
            let view = try MessageView(bytes)
            #expect(view.kind == .send)
            #expect(view.options == [.confirm, .reply])
            #expect(view.flags == 1)
            #expect(view.correlationID == 256)
            #expect(Array(view.peer) == utf8("bob"))
            #expect(Array(view.payload) == utf8("payload"))
            #expect(view.peer.baseAddress == bytes.baseAddress! + MessageView.nameOffset)
            #expect(view.payload.baseAddress == bytes.baseAddress! + MessageView.nameOffset + 3)
        }
    }

    @Test("reads a DELIVER with an empty payload")
    func readsDeliver() throws {
        try hex("04  02  00  00 00 00 00 00 00 00 09  01 61").withUnsafeBytes { bytes in
            let view = try MessageView(bytes)
            #expect(view.kind == .deliver)
            #expect(view.options == .reply)
            #expect(Array(view.peer) == utf8("a"))
            #expect(view.payload.isEmpty)
        }
    }

    @Test("does not validate the name: an unregistered name is simply unknown to the broker")
    func nameNotValidated() throws {
        let body = hex("03 00 00  00 00 00 00 00 00 00 00  02 2a ff  00")
        try body.withUnsafeBytes { bytes in
            let view = try MessageView(bytes)
            #expect(Array(view.peer) == [0x2A, 0xFF])
        }
        #expect(decodingError(body) == .invalidName(.send, .notUTF8))
    }

    @Test("refuses what Envelope(decoding:) refuses in the fixed header", arguments: [
        ([UInt8](), EnvelopeError.empty),
        (hex("01 01 01 61"), .unknownKind(0x01)),
        (hex("05 00 01  00 00 00 00 00 00 00 00  00"), .unknownKind(0x05)),
        (hex("03 00 00  00 00 00 00 00 00 00 00  01"), .truncated(.send, needed: 13, got: 12)),
        (hex("03 00 00  00 00 00 00 00 00 00 00  03 61"), .truncated(.send, needed: 15, got: 13)),
        (hex("03 00 00  00 00 00 00 00 00 00 00  00 61"), .invalidName(.send, .empty)),
        (hex("04 01 00  00 00 00 00 00 00 00 00  01 61"), .unknownOptions(.deliver, 0x01)),
    ])
    func rejects(body: [UInt8], error: EnvelopeError) {
        #expect(throws: error) {
            try body.withUnsafeBytes { _ = try MessageView($0) }
        }
    }

    /// The layout of §3.3, assembled by hand.
    static func expectedFrame(_ kind: EnvelopeKind, _ message: Message) -> [UInt8] {
        Frame.encode(
            [kind.rawValue, message.options.rawValue, message.flags] + bigEndian(message.correlationID)
                + [UInt8(message.peer.bytes.count)] + message.peer.bytes + message.payload)
    }

    static let messages: [Message] = [
        Message(peer: "a", payload: []),
        Message(options: .confirm, flags: 0x01, correlationID: 7, peer: "worker-1", payload: utf8("hi")),
        Message(options: .reply, flags: 0xFE, correlationID: .max, peer: EnvelopeSample.longName, payload: [UInt8](repeating: 0x5A, count: 100_000)),
    ]

    @Test("appendFrame writes what the general encoder writes, and the layout of §3.3", arguments: [EnvelopeKind.send, .deliver])
    func appendFrame(kind: EnvelopeKind) {
        for message in Self.messages {
            let envelope: Envelope = kind == .send ? .send(message) : .deliver(message)
            var buffer: [UInt8] = [0xEE]
            message.peer.bytes.withUnsafeBytes { peer in
                message.payload.withUnsafeBytes { payload in
                    MessageView.appendFrame(
                        kind: kind, options: message.options, flags: message.flags, correlationID: message.correlationID,
                        peer: peer, payload: payload, to: &buffer)
                }
            }
            #expect(buffer.first == 0xEE)
            let frame = Array(buffer.dropFirst())
            #expect(frame == envelope.encodedFrame())
            #expect(frame == Self.expectedFrame(kind, message))
            #expect(frame.count == MessageView.frameLength(peerLength: message.peer.bytes.count, payloadLength: message.payload.count))
        }
    }

    @Test("frameLength counts the 12-byte header once the body passes 0x7fffffff bytes")
    func frameLength() {
        #expect(MessageView.frameLength(peerLength: 1, payloadLength: 0) == 4 + 13)
        let largestShort = Int(Int32.max) - 13
        #expect(MessageView.frameLength(peerLength: 1, payloadLength: largestShort) == 4 + Int(Int32.max))
        #expect(MessageView.frameLength(peerLength: 1, payloadLength: largestShort + 1) == 12 + Int(Int32.max) + 1)
    }
}
