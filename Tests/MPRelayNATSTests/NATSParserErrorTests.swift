import MPRelayNATS
import Testing

/// Every way a server's bytes can break the protocol, and the limits.
@Suite("NATSParser: errors and limits")
struct NATSParserErrorTests {
    @Test("a control line without its end, past the limit")
    func longLine() {
        let parser = NATSParser(maxControlLineLength: 64)
        #expect(parseError(Array(repeating: UInt8(ascii: "A"), count: 64), parser: parser) == .controlLineTooLong(limit: 64))
        // One byte short of the limit is still only incomplete.
        #expect(parseError(Array(repeating: UInt8(ascii: "A"), count: 63), parser: parser) == nil)
    }

    @Test("unknown operations")
    func unknown() {
        #expect(parseError(wire("HELLO world\n")) == .unknownOperation("HELLO world"))
        #expect(parseError(wire("ping\n")) == .unknownOperation("ping"))
        #expect(parseError(wire("\n")) == .unknownOperation(""))
    }

    @Test("malformed MSG and HMSG arguments", arguments: [
        "MSG a 1\n", "MSG a x 1\n", "MSG a 1 -1\n", "MSG a 1 b c 1\n", "MSG a 1 1x\n",
        "MSG a 1 1234567890123456789\n", "HMSG a 1 2\n", "HMSG a 1 r 2 x\n", "MSG\n",
    ])
    func malformed(line: String) {
        let error = parseError(wire(line))
        guard case .malformedArguments(let operation, _) = error else {
            Issue.record("\(line): \(String(describing: error))")
            return
        }
        #expect(line.hasPrefix(operation))
    }

    @Test("a message larger than max_payload, which INFO sets up to the ceiling")
    func payloadLimit() throws {
        #expect(parseError(wire("MSG a 1 1048577\n")) == .payloadTooLarge(announced: 1_048_577, limit: 1_048_576))
        var parser = NATSParser(maxPayloadCeiling: 4096)
        #expect(parser.maxPayload == 4096)
        _ = try parseChunks([wire("INFO {\"max_payload\":100}\n")], &parser)
        #expect(parser.maxPayload == 100)
        #expect(parseError(wire("MSG a 1 101\n"), parser: parser) == .payloadTooLarge(announced: 101, limit: 100))
        _ = try parseChunks([wire("INFO {\"max_payload\":100000000}\n")], &parser)
        #expect(parser.maxPayload == 4096)
    }

    @Test("HMSG whose header is longer than the message")
    func headerLength() {
        #expect(parseError(wire("HMSG a 1 10 5\n")) == .headerLongerThanMessage(header: 10, total: 5))
    }

    @Test("a payload not followed by CRLF")
    func terminator() {
        #expect(parseError(wire("MSG a.b 1 2\nxyz\n")) == .missingPayloadTerminator(subject: "a.b"))
    }

    @Test("malformed header blocks", arguments: [
        "NATS/1\n\n", "NATS/1.0\nX\n\n", "NATS/1.0\n", "NATS/1.0 5x3\n\n", "NATS/1.0\n: v\n\n", "NATS/1.0\nA: b\n",
    ])
    func badHeaders(block: String) {
        let header = wire(block)
        let error = parseError(wire("HMSG s 1 \(header.count) \(header.count)\n") + header + wire("\n"))
        guard case .malformedHeaders(let subject, _) = error else {
            Issue.record("\(block): \(String(describing: error))")
            return
        }
        #expect(subject == "s")
    }

    @Test("INFO that is not a JSON object")
    func badInfo() {
        guard case .malformedInfo = parseError(wire("INFO {\"max_payload\":\"x\"}\n")) else {
            Issue.record("accepted")
            return
        }
        #expect(parseError(wire("INFO nope\n")) != nil)
    }

    @Test("an error leaves operations before it handled, in order")
    func handledBeforeError() {
        var seen: [Parsed] = []
        var parser = NATSParser()
        #expect(throws: NATSProtocolError.unknownOperation("BAD")) {
            try wire("PING\nPONG\nBAD\nPING\n").withUnsafeBytes { try parser.feed($0) { seen.append(Parsed($0)) } }
        }
        #expect(seen == [.ping, .pong])
    }
}
