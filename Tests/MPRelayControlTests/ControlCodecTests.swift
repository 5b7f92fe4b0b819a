import Foundation
import MPRelayCommon
import MPRelayConfig
@testable import MPRelayControl
@testable import MPRelayControlServer
import Testing

/// The JSON-lines codec: every request round-trips, every malformed request gets its own code,
/// and answers carry the documented snake_case keys on one line.
@Suite("Control codec")
struct ControlCodecTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private func expectFailure(_ line: String, _ code: ControlFailure.Code, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let request = try ControlRequest.parse(Array(line.utf8))
            Issue.record("\(line) parsed as \(request)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(line): \(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [
        ControlRequest.status, .peers, .peer(name: "worker-1"), .kick(name: "w", reason: nil),
        .kick(name: "w", reason: "restarting \"now\"\nplease"), .reload, .logLevel(.subwarning), .metrics,
    ])
    func everyRequestRoundTrips(_ request: ControlRequest) throws {
        let line = request.line()
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false, "a request must be one line")
        #expect(try ControlRequest.parse(line.dropLast()) == request)
    }

    @Test func requestsLookAsDocumented() {
        #expect(text(ControlRequest.status.line()) == #"{"command":"status","version":1}"# + "\n")
        #expect(text(ControlRequest.kick(name: "w1", reason: "bye").line()) == #"{"command":"kick","name":"w1","reason":"bye","version":1}"# + "\n")
        #expect(text(ControlRequest.logLevel(.debug).line()) == #"{"command":"log-level","level":"debug","version":1}"# + "\n")
    }

    @Test func unknownFieldsAreIgnoredAndLevelsAreCaseInsensitive() throws {
        #expect(try ControlRequest.parse(Array(#"{"version":1,"command":"peers","verbose":true}"#.utf8)) == .peers)
        #expect(try ControlRequest.parse(Array(#"{"version":1,"command":"log-level","level":"DEBUG"}"#.utf8)) == .logLevel(.debug))
    }

    @Test func malformedRequestsGetTheirOwnCodes() {
        expectFailure("hello", .badRequest, containing: "not a JSON object")
        expectFailure("[1,2]", .badRequest, containing: "not a JSON object")
        expectFailure("{}", .badRequest, containing: "no \"version\" field")
        expectFailure(#"{"version":"1","command":"status"}"#, .badRequest, containing: "\"version\" must be an integer")
        expectFailure(#"{"version":1,"command":7}"#, .badRequest, containing: "\"command\" must be a string")
        expectFailure(#"{"version":2,"command":"status"}"#, .unsupportedVersion, containing: "speaks version 1")
        expectFailure(#"{"version":1}"#, .badRequest, containing: "no \"command\" field")
        expectFailure(#"{"version":1,"command":"shutdown"}"#, .unknownCommand, containing: "expected one of status, peers, peer, kick")
        expectFailure(#"{"version":1,"command":"peer"}"#, .badRequest, containing: "needs a non-empty \"name\"")
        expectFailure(#"{"version":1,"command":"kick","name":""}"#, .badRequest, containing: "needs a non-empty \"name\"")
        expectFailure(#"{"version":1,"command":"log-level","level":"loud"}"#, .invalidArgument, containing: "unknown log level \"loud\"")
        let reason = String(repeating: "x", count: ControlRequest.maxReasonBytes + 1)
        expectFailure(#"{"version":1,"command":"kick","name":"w","reason":"\#(reason)"}"#, .invalidArgument, containing: "at most 1024")
    }

    @Test func answersUseTheDocumentedKeysOnOneLine() throws {
        let peer = PeerReport(
            name: "w1", connectionID: 4, endpoint: "/run/r.sock", remote: "pid 1 uid 0", connectedSince: 1_700_000_000.5,
            connectedSeconds: 12, digest: "sha256", messagesIn: 1, bytesIn: 2, messagesOut: 3, bytesOut: 4, queuedMessages: 5, queuedBytes: 6
        )
        let line = try ControlProtocol.line(ControlAnswer(command: .peer, result: peer))
        #expect(text(line) == #"{"command":"peer","ok":true,"result":{"bytes_in":2,"bytes_out":4,"connected_seconds":12,"connected_since":1700000000.5,"connection_id":4,"digest":"sha256","endpoint":"/run/r.sock","messages_in":1,"messages_out":3,"name":"w1","queued_bytes":6,"queued_messages":5,"remote":"pid 1 uid 0"},"version":1}"# + "\n")
        let decoded = try ControlProtocol.makeDecoder().decode(ControlAnswer<PeerReport>.self, from: Data(line))
        #expect(try decoded.get() == peer)
    }

    @Test func failuresCarryCodeAndMessageAndDecodeForAnyResultType() throws {
        let line = ControlServer.failureLine(ControlFailure(.unknownPeer, "no peer named \"x\"\nat all"), command: .kick)
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
        #expect(text(line).hasPrefix(#"{"command":"kick","error":{"code":"unknown_peer","message":"no peer named \"x\"\nat all"},"ok":false,"version":1}"#))
        let decoded = try ControlProtocol.makeDecoder().decode(ControlAnswer<StatusReport>.self, from: Data(line))
        #expect(throws: ControlFailure(.unknownPeer, "")) { try decoded.get() }
        let unknown = try ControlProtocol.makeDecoder().decode(
            ControlAnswer<NoResult>.self,
            from: Data(#"{"version":1,"ok":false,"error":{"code":"from_the_future","message":"m"}}"#.utf8)
        )
        #expect(unknown.error?.code.rawValue == "from_the_future")
        #expect(unknown.command == nil)
    }

    @Test func statusRoundTrips() throws {
        let status = ControlFixtures.status
        let line = try ControlProtocol.line(ControlAnswer(command: .status, result: status))
        for key in ["\"handshakes_in_progress\"", "\"uptime_seconds\"", "\"bound_address\"", "\"messages_relayed\"", "\"auth_failures\"", "\"errors\":[{\"code\":11"] {
            #expect(text(line).contains(key), "\(key) missing from \(text(line))")
        }
        #expect(try ControlProtocol.makeDecoder().decode(ControlAnswer<StatusReport>.self, from: Data(line)).get() == status)
    }
}
