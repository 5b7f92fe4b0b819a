public import Foundation

/// The control protocol's constants and its JSON codec: one JSON object per line each way.
///
/// Both sides use these coders so the daemon and `mprelayctl` agree on key order, number forms
/// and the absence of raw newlines inside a line. docs/CONTROL.md describes every message.
public enum ControlProtocol {
    /// The protocol version this build speaks; every request and answer carries it.
    public static let version = 1

    /// A JSON encoder that writes one line: sorted keys, no escaped slashes, no pretty-printing.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A JSON decoder for requests and answers.
    public static func makeDecoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// `value` as one line of JSON, newline included.
    ///
    /// - Throws: `EncodingError` only for values JSON cannot represent (a NaN or an infinity).
    public static func line(_ value: some Encodable) throws -> [UInt8] {
        var bytes = [UInt8](try makeEncoder().encode(value))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
