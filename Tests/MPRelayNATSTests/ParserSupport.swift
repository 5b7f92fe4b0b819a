import Foundation
import MPRelayNATS
import Testing

/// A server operation in a form tests compare: the message copied, INFO reduced to its fields.
enum Parsed: Equatable {
    case info(NATSServerInfo)
    case message(NATSMessage)
    case ping
    case pong
    case ok
    case error(String)

    init(_ operation: NATSServerOperation) {
        switch operation {
        case .info(let info): self = .info(info)
        case .message(let view): self = .message(view.message())
        case .ping: self = .ping
        case .pong: self = .pong
        case .ok: self = .ok
        case .error(let text): self = .error(text)
        }
    }
}

/// Feeds `chunks` in order and returns every operation parsed.
func parseChunks(_ chunks: [[UInt8]], _ parser: inout NATSParser) throws -> [Parsed] {
    var operations: [Parsed] = []
    for chunk in chunks {
        try chunk.withUnsafeBytes { bytes in
            try parser.feed(bytes) { operations.append(Parsed($0)) }
        }
    }
    return operations
}

/// Parses `stream` in one read with a fresh parser.
func parseWhole(_ stream: [UInt8], parser: NATSParser = NATSParser()) throws -> [Parsed] {
    var parser = parser
    return try parseChunks([stream], &parser)
}

/// The error parsing `stream` throws, or nil.
func parseError(_ stream: [UInt8], parser: NATSParser = NATSParser()) -> NATSProtocolError? {
    do {
        _ = try parseWhole(stream, parser: parser)
        return nil
    } catch let error as NATSProtocolError {
        return error
    } catch {
        Issue.record("not a NATSProtocolError: \(error)")
        return nil
    }
}

/// The bytes of a recorded vector (Vectors/<name>.bin, written by Vectors/capture.py).
func vector(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Vectors"))
    return Array(try Data(contentsOf: url))
}

/// `text` with every `\n` turned into `\r\n`, as the protocol writes lines.
func wire(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
}
