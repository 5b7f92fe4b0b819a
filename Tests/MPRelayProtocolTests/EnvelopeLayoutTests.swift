import MPRelayProtocol
import Testing

/// The exact bytes docs/PROTOCOL.md gives: the example of §5 and the layouts of §3.
@Suite("Envelope layout, byte by byte")
struct EnvelopeLayoutTests {
    /// docs/PROTOCOL.md §5: `a` registers and sends `hi` to `b` with correlation id 7 and confirm.
    static let exampleFrames: [(String, String, Envelope)] = [
        ("HELLO v1 \"a\"", "00 00 00 04  01 01 01 61", .hello(version: 1, name: "a")),
        ("WELCOME v1, max 16 MiB", "00 00 00 0a  02 01 00 00 00 00 01 00 00 00", .welcome(version: 1, maxMessageBytes: 16 << 20)),
        (
            "SEND, confirm, flags 0, id 7, to \"b\", payload \"hi\"",
            "00 00 00 0f  03 01 00  00 00 00 00 00 00 00 07  01 62  68 69",
            .send(Message(options: .confirm, flags: 0, correlationID: 7, peer: "b", payload: utf8("hi")))
        ),
        ("ACK id 7", "00 00 00 09  06  00 00 00 00 00 00 00 07", .ack(correlationID: 7)),
        (
            "DELIVER, flags 0, id 7, from \"a\", payload \"hi\"",
            "00 00 00 0f  04 00 00  00 00 00 00 00 00 00 07  01 61  68 69",
            .deliver(Message(options: [], flags: 0, correlationID: 7, peer: "a", payload: utf8("hi")))
        ),
    ]

    @Test("the byte-by-byte example of §5 encodes and decodes exactly", arguments: exampleFrames)
    func example(label: String, bytes: String, envelope: Envelope) throws {
        let frame = hex(bytes)
        #expect(envelope.encodedFrame() == frame, "\(label)")
        #expect(try Envelope(decoding: Array(frame.dropFirst(4))) == envelope, "\(label)")
    }

    @Test("the broker's SEND-to-DELIVER rewrite of §3.3 gives §5's DELIVER")
    func sendBecomesDeliver() throws {
        let send = hex("03 01 00  00 00 00 00 00 00 00 07  01 62  68 69")
        var deliver: [UInt8] = []
        try send.withUnsafeBytes { body in
            let view = try MessageView(body)
            utf8("a").withUnsafeBytes { sender in
                MessageView.appendFrame(
                    kind: .deliver, options: view.options.intersection(.forwarded), flags: view.flags,
                    correlationID: view.correlationID, peer: sender, payload: view.payload, to: &deliver)
            }
        }
        #expect(deliver == hex("00 00 00 0f  04 00 00  00 00 00 00 00 00 00 07  01 61  68 69"))
    }

    /// One body per layout table of §3, with a value in every field.
    static let layoutBodies: [(String, String, Envelope)] = [
        ("HELLO", "01  01  05 77 6f 72 6b 31", .hello(version: 1, name: "work1")),
        ("WELCOME", "02  01  00 00 00 00 00 00 10 00", .welcome(version: 1, maxMessageBytes: 4096)),
        (
            "SEND, reply, pickle flag",
            "03  02  01  01 02 03 04 05 06 07 08  01 62  00 ff",
            .send(Message(options: .reply, flags: 1, correlationID: 0x0102_0304_0506_0708, peer: "b", payload: [0x00, 0xFF]))
        ),
        (
            "DELIVER, reply",
            "04  02  80  00 00 00 00 00 00 00 09  02 61 62",
            .deliver(Message(options: .reply, flags: 0x80, correlationID: 9, peer: "ab", payload: []))
        ),
        (
            "ERROR unknown peer",
            "05  00 01  00 00 00 00 00 00 00 07  01 62  6e 6f",
            .error(ErrorReport(code: .unknownPeer, correlationID: 7, peer: utf8("b"), text: "no"))
        ),
        ("ERROR, no peer", "05  00 0d  00 00 00 00 00 00 00 00  00", .error(ErrorReport(code: .replaced, text: ""))),
        ("ACK", "06  00 00 00 00 00 00 01 00", .ack(correlationID: 256)),
        ("PING", "07  ff ff ff ff ff ff ff ff", .ping(correlationID: .max)),
        ("PONG", "08  00 00 00 00 00 00 00 01", .pong(correlationID: 1)),
        ("GOODBYE leaving", "09  00 00", .goodbye(reason: .leaving, text: "")),
        ("GOODBYE shutting down", "09  00 01  62 79 65", .goodbye(reason: .shuttingDown, text: "bye")),
        ("LIST", "0a  00 00 00 00 00 00 00 03", .list(correlationID: 3)),
        (
            "PEERS",
            "0b  00 00 00 00 00 00 00 03  00 00 00 02  01 61  02 62 63",
            .peerList(correlationID: 3, names: ["a", "bc"])
        ),
        ("PEERS, none", "0b  00 00 00 00 00 00 00 04  00 00 00 00", .peerList(correlationID: 4, names: [])),
        ("WATCH start", "0c  00 00 00 00 00 00 00 05  01", .watch(correlationID: 5, enabled: true)),
        ("WATCH stop", "0c  00 00 00 00 00 00 00 05  00", .watch(correlationID: 5, enabled: false)),
        ("JOINED", "0d  01 61", .peerJoined("a")),
        ("LEFT", "0e  02 c3 a9", .peerLeft("é")),
    ]

    @Test("every layout of §3 encodes and decodes exactly", arguments: layoutBodies)
    func layout(label: String, bytes: String, envelope: Envelope) throws {
        let body = hex(bytes)
        #expect(envelope.encodedBody() == body, "\(label)")
        #expect(try Envelope(decoding: body) == envelope, "\(label)")
    }

    @Test("the largest header is 12 + 255 bytes (§3.3)")
    func maxHeaderLength() {
        #expect(Envelope.maxHeaderLength == 267)
        #expect(MessageView.nameOffset == 12)
        #expect(Envelope.protocolVersion == 1)
    }

    @Test("the kind bytes of §3")
    func kinds() {
        #expect(EnvelopeKind.allCases.map(\.rawValue) == Array(1...14))
        #expect(EnvelopeKind.allCases.map(\.description) == [
            "HELLO", "WELCOME", "SEND", "DELIVER", "ERROR", "ACK", "PING", "PONG", "GOODBYE", "LIST", "PEERS", "WATCH",
            "JOINED", "LEFT",
        ])
    }
}
