import Foundation
import MPRelayNATS
import Testing

/// Client operations, byte for byte, and the checks on what goes into them.
@Suite("NATSEncoder and subjects")
struct NATSEncoderTests {
    private func encoded(_ body: (inout [UInt8]) throws -> Void) rethrows -> String {
        var buffer: [UInt8] = []
        try body(&buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test("PUB with and without a reply subject")
    func publish() throws {
        let subject = try NATSSubject("a.b")
        #expect(try encoded { try NATSEncoder.publish(subject, payload: Array("hi".utf8), into: &$0) } == "PUB a.b 2\r\nhi\r\n")
        #expect(try encoded {
            try NATSEncoder.publish(subject, replyTo: NATSSubject("_INBOX.x"), payload: [], into: &$0)
        } == "PUB a.b _INBOX.x 0\r\n\r\n")
        let big = [UInt8](repeating: 0x61, count: 1234)
        #expect(try encoded { try NATSEncoder.publish(subject, payload: big, into: &$0) }.hasPrefix("PUB a.b 1234\r\naaa"))
    }

    @Test("a publish batch is its PUBs back to back; an invalid subject leaves it unchanged")
    func publishBatch() throws {
        var batch = NATSPublishBatch()
        #expect(batch.isEmpty)
        try batch.append("a.b", payload: Array("hi".utf8))
        try batch.append("c", replyTo: "r.1", payload: [])
        #expect(throws: NATSProtocolError.self) { try batch.append("bad subject", payload: [1]) }
        #expect(batch.count == 2)
        #expect(String(decoding: batch.bytes, as: UTF8.self) == "PUB a.b 2\r\nhi\r\nPUB c r.1 0\r\n\r\n")
        batch.removeAll()
        #expect(batch.isEmpty && batch.bytes.isEmpty)
    }

    @Test("a publication built payload first is the PUB of its header and payload; its buffer is reused")
    func publicationPayloadFirst() throws {
        var publication = NATSPublication(headroom: 40)
        publication.appendPayload { $0.append(contentsOf: Array("body".utf8)) }
        #expect(publication.payloadCount == 4)
        publication.seal(subject: Array("a.b".utf8), replyTo: Array("r.1".utf8), payloadHeader: Array("head:".utf8))
        #expect(String(decoding: publication.bytes, as: UTF8.self) == "PUB a.b r.1 9\r\nhead:body\r\n")
        var again = NATSPublication(reusing: publication, headroom: 40)
        again.appendPayload { $0.append(0x7A) }
        again.seal(subject: Array("c".utf8), replyTo: Array("r.2".utf8), payloadHeader: [])
        #expect(String(decoding: again.bytes, as: UTF8.self) == "PUB c r.2 1\r\nz\r\n")
    }

    @Test("HPUB counts the header block and the whole message; the parser reads it back")
    func headerPublish() throws {
        var headers = NATSHeaders(["Nats-Expected-Last-Subject-Sequence": "0"])
        headers.append("KV-Operation", "DEL")
        let text = try encoded {
            try NATSEncoder.publish(NATSSubject("$KV.b.k"), replyTo: NATSSubject("r"), headers: headers, payload: Array("v".utf8), into: &$0)
        }
        let block = "NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: 0\r\nKV-Operation: DEL\r\n\r\n"
        #expect(text == "HPUB $KV.b.k r \(block.utf8.count) \(block.utf8.count + 1)\r\n\(block)v\r\n")
        // The same bytes as the server would deliver them.
        let delivered = Array(text.replacingOccurrences(of: "HPUB $KV.b.k r", with: "HMSG $KV.b.k 7 r").utf8)
        #expect(try parseWhole(delivered) == [.message(NATSMessage(subject: "$KV.b.k", sid: 7, replyTo: "r", headers: headers, payload: Array("v".utf8)))])
    }

    @Test("a header name or value that cannot be written", arguments: [("", "v"), ("a b", "v"), ("a:b", "v"), ("a", "x\r\ny")])
    func badHeader(name: String, value: String) throws {
        let subject = try NATSSubject("s")
        var buffer: [UInt8] = []
        #expect(throws: NATSProtocolError.invalidHeader(name: name)) {
            try NATSEncoder.publish(subject, headers: NATSHeaders(fields: [.init(name: name, value: value)]), payload: [], into: &buffer)
        }
    }

    @Test("SUB with a queue group, UNSUB with a maximum, PING, PONG")
    func subscriptions() throws {
        #expect(try encoded { try NATSEncoder.subscribe(NATSSubject("a.*", wildcards: true), sid: 12, into: &$0) } == "SUB a.* 12\r\n")
        #expect(try encoded { try NATSEncoder.subscribe(NATSSubject("a.>", wildcards: true), queueGroup: "workers", sid: 3, into: &$0) } == "SUB a.> workers 3\r\n")
        #expect(throws: NATSProtocolError.invalidQueueGroup("two words")) {
            var buffer: [UInt8] = []
            try NATSEncoder.subscribe(NATSSubject("a"), queueGroup: "two words", sid: 1, into: &buffer)
        }
        #expect(encoded { NATSEncoder.unsubscribe(sid: 3, into: &$0) } == "UNSUB 3\r\n")
        #expect(encoded { NATSEncoder.unsubscribe(sid: 3, afterMessages: 1, into: &$0) } == "UNSUB 3 1\r\n")
        #expect(encoded { NATSEncoder.ping(into: &$0); NATSEncoder.pong(into: &$0) } == "PING\r\nPONG\r\n")
    }

    @Test("CONNECT: user and password, or a token, and the features the client relies on")
    func connect() throws {
        let text = encoded { NATSEncoder.connect(NATSConnectPayload(name: "node-a", user: "u", password: "p\"w"), into: &$0) }
        #expect(text.hasPrefix("CONNECT {") && text.hasSuffix("}\r\n"))
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8.dropFirst(8).dropLast(2))) as? [String: Any]
        #expect(json?["user"] as? String == "u" && json?["pass"] as? String == "p\"w" && json?["name"] as? String == "node-a")
        #expect(json?["headers"] as? Bool == true && json?["no_responders"] as? Bool == true && json?["verbose"] as? Bool == false)
        #expect(json?["auth_token"] == nil)
        let token = encoded { NATSEncoder.connect(NATSConnectPayload(token: "s3cret"), into: &$0) }
        #expect(token.contains("\"auth_token\":\"s3cret\"") && !token.contains("\"user\""))
    }

    @Test("subjects: tokens, white space, wildcards", arguments: [
        ("a", false, true), ("a.b.c", false, true), ("$JS.API.INFO", false, true), ("", false, false),
        (".a", false, false), ("a.", false, false), ("a..b", false, false), ("a b", false, false),
        ("a\tb", false, false), ("a\r", false, false), ("a.*", false, false), ("a.>", false, false),
        ("a.*", true, true), ("a.>", true, true), (">", true, true), ("a.>.b", true, false),
        ("a*.b", true, true), ("a.b>", false, true),
    ])
    func subjects(text: String, wildcards: Bool, valid: Bool) {
        #expect(((try? NATSSubject(text, wildcards: wildcards)) != nil) == valid, "\(text)")
    }
}
