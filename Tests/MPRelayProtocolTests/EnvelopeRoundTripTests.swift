import MPRelayProtocol
import Testing

/// An envelope with a short name for test output (payloads can be large).
struct EnvelopeSample: Sendable, CustomTestStringConvertible {
    let label: String
    let envelope: Envelope
    var testDescription: String { label }

    init(_ label: String, _ envelope: Envelope) {
        self.label = label
        self.envelope = envelope
    }

    static let longName = try! PeerName(String(repeating: "n", count: PeerName.maxLength))

    /// Every case of ``Envelope``, with edge values.
    static let all: [EnvelopeSample] = [
        .init("HELLO", .hello(version: 1, name: "a")),
        .init("HELLO, version 2, 255-byte name", .hello(version: 2, name: longName)),
        .init("WELCOME 16 MiB", .welcome(version: 1, maxMessageBytes: 16 << 20)),
        .init("WELCOME max", .welcome(version: 0xFF, maxMessageBytes: .max)),
        .init("SEND, empty payload", .send(Message(peer: "b", payload: []))),
        .init("SEND, all options and flags", .send(Message(
            options: [.confirm, .reply], flags: 0xFF, correlationID: .max, peer: "worker-7",
            payload: (0...255).map { UInt8($0) }))),
        .init("SEND, 255-byte name", .send(Message(options: .confirm, correlationID: 1, peer: longName, payload: [0]))),
        .init("DELIVER, empty payload", .deliver(Message(peer: "a", payload: []))),
        .init("DELIVER, reply, 70000-byte payload", .deliver(Message(
            options: .reply, flags: 1, correlationID: 0x0102_0304_0506_0708, peer: "café",
            payload: (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))),
        .init("ERROR unknown peer", .error(ErrorReport(code: .unknownPeer, correlationID: 7, peer: utf8("b"), text: "no peer named b"))),
        .init("ERROR, no peer, no text", .error(ErrorReport(code: .malformedFrame, text: ""))),
        .init("ERROR, raw 255-byte peer", .error(ErrorReport(
            code: .invalidName, correlationID: 0, peer: [UInt8](repeating: 0xFF, count: 255), text: "ünïcode ✓ 名前"))),
        .init("ACK", .ack(correlationID: 7)),
        .init("ACK 0", .ack(correlationID: 0)),
        .init("PING", .ping(correlationID: .max)),
        .init("PONG", .pong(correlationID: 1)),
        .init("GOODBYE leaving", .goodbye(reason: .leaving, text: "")),
        .init("GOODBYE shutting down", .goodbye(reason: .shuttingDown, text: "mprelay is shutting down")),
        .init("LIST", .list(correlationID: 3)),
        .init("PEERS, none", .peerList(correlationID: 3, names: [])),
        .init("PEERS, three", .peerList(correlationID: 4, names: ["a", "b", longName])),
        .init("WATCH start", .watch(correlationID: 9, enabled: true)),
        .init("WATCH stop", .watch(correlationID: 10, enabled: false)),
        .init("JOINED", .peerJoined("a")),
        .init("LEFT", .peerLeft("名前")),
    ]
}

/// encodedFrame -> FrameDecoder -> Envelope(decoding:) gives back every envelope.
@Suite("Envelope round trip")
struct EnvelopeRoundTripTests {
    static let frameLimit = Envelope.maxHeaderLength + 100_000

    @Test("the samples cover every kind")
    func coverage() {
        #expect(Set(EnvelopeSample.all.map(\.envelope.kind)) == Set(EnvelopeKind.allCases))
    }

    @Test("through the frame decoder and back", arguments: EnvelopeSample.all)
    func roundTrip(sample: EnvelopeSample) throws {
        let frame = sample.envelope.encodedFrame()
        var decoder = FrameDecoder(maxBodyLength: Self.frameLimit)
        var decoded: [Envelope] = []
        try frame.withUnsafeBytes { bytes in
            try decoder.feed(bytes) { body in
                decoded.append(try Envelope(decoding: body))
                return .proceed
            }
        }
        #expect(decoded == [sample.envelope])
        #expect(decoder.bufferedByteCount == 0)
        #expect(frame[4] == sample.envelope.kind.rawValue)
    }

    @Test("encodedBody is the frame without its header, and decodes from an array", arguments: EnvelopeSample.all)
    func body(sample: EnvelopeSample) throws {
        let body = sample.envelope.encodedBody()
        #expect(Frame.encode(body) == sample.envelope.encodedFrame())
        #expect(try Envelope(decoding: body) == sample.envelope)
    }

    @Test("appendFrame appends after what the buffer holds")
    func appends() {
        var buffer: [UInt8] = [0xAB]
        for sample in EnvelopeSample.all { sample.envelope.appendFrame(to: &buffer) }
        #expect(buffer == [0xAB] + EnvelopeSample.all.flatMap { $0.envelope.encodedFrame() })
    }

    @Test("all samples in one stream, one byte at a time")
    func stream() throws {
        let stream = EnvelopeSample.all.flatMap { $0.envelope.encodedFrame() }
        var decoder = FrameDecoder(maxBodyLength: Self.frameLimit)
        var decoded: [Envelope] = []
        for byte in stream {
            try [byte].withUnsafeBytes { bytes in
                try decoder.feed(bytes) { body in
                    decoded.append(try Envelope(decoding: body))
                    return .proceed
                }
            }
        }
        #expect(decoded == EnvelopeSample.all.map(\.envelope))
    }

    @Test("an ERROR with a code this version does not know still round-trips")
    func unknownErrorCode() throws {
        let body = hex("05  03 E7  00 00 00 00 00 00 00 2A  00") + utf8("from the future")
        let decoded = try Envelope(decoding: body)
        guard case .error(let report) = decoded else {
            Issue.record("decoded \(decoded)")
            return
        }
        #expect(report.code == nil)
        #expect(report.rawCode == 999)
        #expect(report.correlationID == 42)
        #expect(report.peer.isEmpty)
        #expect(report.text == "from the future")
        #expect(decoded.encodedBody() == body)
    }

    /// The table of docs/PROTOCOL.md §3.4.
    static let publishedCodes: [(UInt16, String)] = [
        (1, "unknown peer"), (2, "name taken"), (3, "message too large"), (4, "malformed frame"),
        (5, "not permitted"), (6, "peer busy"), (7, "invalid name"), (8, "unsupported version"),
        (9, "unexpected envelope"), (10, "slow consumer"), (11, "kicked"), (12, "idle timeout"), (13, "replaced"),
        (14, "cluster unavailable"),
    ]

    @Test("every error code keeps its published number and name", arguments: publishedCodes)
    func errorCodes(number: UInt16, name: String) throws {
        let code = try #require(RelayErrorCode(rawValue: number))
        #expect(code.description == name)
        let report = ErrorReport(code: code, text: "x")
        #expect(try Envelope(decoding: Envelope.error(report).encodedBody()) == .error(report))
        #expect(RelayErrorCode.allCases.count == Self.publishedCodes.count)
    }
}
