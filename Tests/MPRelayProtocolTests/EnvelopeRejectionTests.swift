import MPRelayProtocol
import Testing

/// Bodies that are not envelopes, and the error each one gets.
@Suite("Envelope rejections")
struct EnvelopeRejectionTests {
    /// One valid body of each kind whose variable part (payload, text) is empty, so every strict
    /// prefix of it is too short for its layout.
    static let minimal: [Envelope] = [
        .hello(version: 1, name: "ab"),
        .welcome(version: 1, maxMessageBytes: 1),
        .send(Message(options: .confirm, correlationID: 5, peer: "ab", payload: [])),
        .deliver(Message(correlationID: 5, peer: "ab", payload: [])),
        .error(ErrorReport(code: .unknownPeer, correlationID: 5, peer: utf8("ab"), text: "")),
        .ack(correlationID: 1), .ping(correlationID: 2), .pong(correlationID: 3),
        .goodbye(reason: .shuttingDown, text: ""),
        .list(correlationID: 4),
        .peerList(correlationID: 5, names: ["a", "bc"]),
        .watch(correlationID: 6, enabled: true),
        .peerJoined("ab"), .peerLeft("ab"),
    ]

    @Test("an empty body")
    func empty() {
        #expect(decodingError([]) == .empty)
    }

    @Test("an unknown kind", arguments: [UInt8(0x00), 0x0F, 0x10, 0x7F, 0xFF])
    func unknownKind(kind: UInt8) {
        #expect(decodingError([kind]) == .unknownKind(kind))
        #expect(decodingError([kind] + [UInt8](repeating: 0, count: 20)) == .unknownKind(kind))
    }

    @Test("every strict prefix of a body of each kind is truncated", arguments: minimal)
    func truncated(envelope: Envelope) {
        #expect(Set(Self.minimal.map(\.kind)) == Set(EnvelopeKind.allCases))
        let body = envelope.encodedBody()
        for length in 1..<body.count {
            let error = decodingError(Array(body.prefix(length)))
            guard case .truncated(let kind, let needed, let got)? = error else {
                Issue.record("\(envelope.kind) cut to \(length) bytes: \(String(describing: error))")
                continue
            }
            #expect(kind == envelope.kind)
            #expect(got == length)
            #expect(needed > length && needed <= body.count)
        }
    }

    @Test("a cut payload or text is a shorter payload or text: framing carries the length")
    func variablePartsAreNotTruncation() throws {
        let send = Envelope.send(Message(correlationID: 5, peer: "ab", payload: utf8("hello")))
        #expect(try Envelope(decoding: Array(send.encodedBody().dropLast(2))) == .send(Message(correlationID: 5, peer: "ab", payload: utf8("hel"))))
        let goodbye = Envelope.goodbye(reason: .leaving, text: "bye")
        #expect(try Envelope(decoding: Array(goodbye.encodedBody().dropLast())) == .goodbye(reason: .leaving, text: "by"))
    }

    @Test("a PEERS count larger than the body is truncated, not a huge allocation")
    func hugePeerCount() {
        let body = hex("0b  00 00 00 00 00 00 00 01  ff ff ff ff  01 61")
        #expect(decodingError(body) == .truncated(.peerList, needed: 16, got: 15))
    }

    @Test("trailing bytes after a fixed layout", arguments: minimal.filter {
        ![.send, .deliver, .error, .goodbye].contains($0.kind)
    })
    func trailing(envelope: Envelope) {
        #expect(decodingError(envelope.encodedBody() + [0]) == .trailingBytes(envelope.kind, count: 1))
        #expect(decodingError(envelope.encodedBody() + [1, 2, 3]) == .trailingBytes(envelope.kind, count: 3))
    }

    /// A body of `kind` carrying `name` (length byte and bytes) where its layout puts a name.
    static func body(_ kind: EnvelopeKind, name: [UInt8]) -> [UInt8] {
        let named = [UInt8(truncatingIfNeeded: name.count)] + name
        let id = bigEndian(UInt64(7))
        switch kind {
        case .hello: return [0x01, 0x01] + named
        case .send: return [0x03, 0x00, 0x00] + id + named + utf8("payload")
        case .deliver: return [0x04, 0x00, 0x00] + id + named + utf8("payload")
        case .peerList: return [0x0B] + id + bigEndian(UInt32(2)) + [0x01, 0x61] + named
        case .peerJoined: return [0x0D] + named
        case .peerLeft: return [0x0E] + named
        default: preconditionFailure("\(kind) carries no peer name")
        }
    }

    static let namedKinds: [EnvelopeKind] = [.hello, .send, .deliver, .peerList, .peerJoined, .peerLeft]

    static let invalidNames: [(String, [UInt8], PeerNameError)] = [
        ("empty", [], .empty),
        ("invalid UTF-8", [0x61, 0xFF], .notUTF8),
        ("cut UTF-8 sequence", [0x61, 0xC3], .notUTF8),
        ("NUL", [0x61, 0x00], .forbiddenCharacter("\u{0}")),
        ("control character", [0x61, 0x1B], .forbiddenCharacter("\u{1B}")),
        ("space", utf8("a b"), .forbiddenCharacter(" ")),
        ("no-break space", utf8("a\u{A0}b"), .forbiddenCharacter("\u{A0}")),
        ("star", utf8("a*"), .forbiddenCharacter("*")),
        ("question mark", utf8("a?"), .forbiddenCharacter("?")),
        ("bracket", utf8("[a]"), .forbiddenCharacter("[")),
    ]

    @Test("an invalid name in every kind that carries one", arguments: namedKinds, invalidNames)
    func invalidName(kind: EnvelopeKind, name: (String, [UInt8], PeerNameError)) {
        let (label, bytes, error) = name
        #expect(decodingError(Self.body(kind, name: bytes)) == .invalidName(kind, error), "\(label)")
    }

    @Test("a 256-byte name cannot be sent: the length byte stops at 255 and the rest is left over", arguments: namedKinds)
    func nameOf256Bytes(kind: EnvelopeKind) throws {
        var body = Self.body(kind, name: [UInt8](repeating: 0x61, count: 255))
        #expect(decodingError(body) == nil)
        if kind == .send || kind == .deliver {
            body.insert(0x61, at: MessageView.nameOffset + 255)
            #expect(try Envelope(decoding: body).message?.payload == utf8("apayload"))
        } else {
            body.append(0x61)
            #expect(decodingError(body) == .trailingBytes(kind, count: 1))
        }
    }

    @Test("the peer of an ERROR is raw bytes: invalid names can be reported back")
    func errorPeerIsRaw() throws {
        let report = ErrorReport(code: .invalidName, peer: [0x61, 0x20, 0xFF, 0x2A], text: "invalid name")
        #expect(try Envelope(decoding: Envelope.error(report).encodedBody()) == .error(report))
    }

    @Test("unknown option bits", arguments: [
        (EnvelopeKind.send, UInt8(0x04), UInt8(0x04)), (.send, 0x80, 0x80), (.send, 0xFF, 0xFC),
        (.deliver, 0x01, 0x01), (.deliver, 0x03, 0x01), (.deliver, 0x10, 0x10),
    ])
    func unknownOptions(kind: EnvelopeKind, options: UInt8, unknown: UInt8) {
        var body = Self.body(kind, name: utf8("b"))
        body[1] = options
        #expect(decodingError(body) == .unknownOptions(kind, unknown))
    }

    @Test("a WATCH flag other than 0 or 1", arguments: [UInt8(2), 0x80, 0xFF])
    func watchFlag(flag: UInt8) {
        #expect(decodingError(hex("0c  00 00 00 00 00 00 00 01") + [flag]) == .invalidBoolean(.watch, flag))
    }

    @Test("an unknown GOODBYE reason", arguments: [UInt16(2), 0x0100, .max])
    func goodbyeReason(reason: UInt16) {
        #expect(decodingError([0x09] + bigEndian(reason)) == .unknownGoodbyeReason(reason))
    }

    @Test("text that is not UTF-8", arguments: [[UInt8(0xFF)], [0x61, 0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80]])
    func invalidText(text: [UInt8]) {
        #expect(decodingError(hex("09  00 00") + text) == .invalidText(.goodbye))
        #expect(decodingError(hex("05  00 01  00 00 00 00 00 00 00 00  00") + text) == .invalidText(.error))
    }
}

extension Envelope {
    /// The message of a SEND or DELIVER.
    var message: Message? {
        switch self {
        case .send(let message), .deliver(let message): return message
        default: return nil
        }
    }
}
