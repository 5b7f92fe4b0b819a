import MPRelayNATS
import Testing

/// The parser on bytes a real nats-server 2.9 sent (Vectors/capture.py).
@Suite("NATSParser: recorded frames")
struct NATSParserVectorTests {
    static let names = [
        "info", "msg", "hmsg", "no-responders", "stream-create", "pub-ack", "wrong-last-sequence",
        "direct-get", "direct-get-404", "consumer", "unknown-operation", "server-ping", "ok",
    ]

    @Test("INFO: the server's identity, max_payload and features")
    func info() throws {
        guard case .info(let info) = try #require(try parseWhole(vector("info")).first) else {
            Issue.record("no INFO")
            return
        }
        #expect(info.version == "2.9.10")
        #expect(info.maxPayload == 1_048_576)
        #expect(info.headers && info.jetStream && !info.authRequired)
        #expect(info.serverID.count == 56 && info.serverName == info.serverID)
    }

    @Test("MSG with and without a reply subject, with an empty payload")
    func messages() throws {
        #expect(try parseWhole(vector("msg")) == [
            .message(NATSMessage(subject: "greet", sid: 1, payload: Array("hello".utf8))),
            .message(NATSMessage(subject: "greet", sid: 1, replyTo: "reply.to", payload: [])),
            .pong,
        ])
    }

    @Test("HMSG: repeated fields, a field without a space, an empty header block")
    func headers() throws {
        let fields = NATSHeaders(fields: [.init(name: "A", value: "one"), .init(name: "A", value: "two"), .init(name: "B", value: "x")])
        #expect(try parseWhole(vector("hmsg")) == [
            .message(NATSMessage(subject: "head", sid: 2, replyTo: "reply", headers: fields, payload: Array("hello".utf8))),
            .message(NATSMessage(subject: "head", sid: 2, headers: NATSHeaders(), payload: [])),
            .pong,
        ])
        #expect(fields.values(of: "a") == ["one", "two"] && fields["b"] == "x")
    }

    @Test("status lines: 503 no responders, 404 from a direct get, 100 idle heartbeat")
    func statuses() throws {
        guard case .message(let noResponders) = try parseWhole(vector("no-responders"))[0] else {
            Issue.record("no message")
            return
        }
        #expect(noResponders.status == 503 && noResponders.headers?.statusDescription == "")
        guard case .message(let notFound) = try parseWhole(vector("direct-get-404"))[1] else {
            Issue.record("no message")
            return
        }
        #expect(notFound.status == 404 && notFound.headers?.statusDescription == "Message Not Found")
        let consumer = try parseWhole(vector("consumer"))
        guard case .message(let heartbeat) = consumer.last else {
            Issue.record("no heartbeat")
            return
        }
        #expect(heartbeat.status == 100 && heartbeat.headers?.statusDescription == "Idle Heartbeat")
        #expect(heartbeat.headers?["Nats-Last-Consumer"] == "1" && heartbeat.replyTo == nil)
    }

    @Test("JetStream answers: a direct get's headers, a pushed message's ack subject")
    func jetStream() throws {
        guard case .message(let got) = try parseWhole(vector("direct-get"))[1] else {
            Issue.record("no message")
            return
        }
        #expect(got.headers?["Nats-Sequence"] == "1" && got.headers?["Nats-Subject"] == "$KV.cap.k1")
        #expect(got.payload == Array("one".utf8))
        guard case .message(let pushed) = try parseWhole(vector("consumer"))[2] else {
            Issue.record("no message")
            return
        }
        #expect(pushed.subject == "$KV.cap.k1" && pushed.sid == 5)
        #expect(pushed.replyTo?.hasPrefix("$JS.ACK.KV_cap.") == true)
    }

    @Test("PING, +OK and -ERR")
    func controlOperations() throws {
        #expect(try parseWhole(vector("server-ping")) == [.ping])
        #expect(try parseWhole(vector("ok")) == [.ok, .pong])
        #expect(try parseWhole(vector("unknown-operation")) == [.error("Unknown Protocol Operation")])
    }

    @Test("every split point of every recorded stream gives the same operations", arguments: names)
    func everySplit(name: String) throws {
        let stream = try vector(name)
        let whole = try parseWhole(stream)
        #expect(!whole.isEmpty)
        for cut in 0...stream.count {
            var parser = NATSParser()
            #expect(try parseChunks([Array(stream[..<cut]), Array(stream[cut...])], &parser) == whole, "cut at \(cut)")
            #expect(parser.bufferedByteCount == 0)
        }
        var parser = NATSParser()
        #expect(try parseChunks(stream.map { [$0] }, &parser) == whole, "one byte at a time")
    }

    @Test("parse(_:_:) consumes whole operations and says how long an incomplete message is")
    func inPlace() throws {
        let stream = try vector("msg")
        var parser = NATSParser()
        let progress = try stream[..<20].withUnsafeBytes { try parser.parse($0) { _ in } }
        // "MSG greet 1 5\r\n" (15) + "hello\r\n" (7): the first message needs 22 bytes.
        #expect(progress == NATSParser.Progress(consumed: 0, awaiting: 22))
        let all = try stream.withUnsafeBytes { try parser.parse($0) { _ in } }
        #expect(all == NATSParser.Progress(consumed: stream.count, awaiting: 0))
    }
}
