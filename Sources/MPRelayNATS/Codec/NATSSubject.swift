/// A validated NATS subject: dot-separated tokens, none empty, no white space or control bytes.
///
/// Subjects to publish to may not hold the wildcards `*` and `>`; subjects to subscribe to may,
/// with `>` only as the last token. Validated once, so encoding an operation needs no check.
public struct NATSSubject: Hashable, Sendable, CustomStringConvertible {
    /// The subject's bytes, as they go on the wire.
    public let bytes: [UInt8]
    /// Whether a token is `*` or `>`.
    public let hasWildcards: Bool

    /// Validates `text` as a subject.
    ///
    /// - Parameters:
    ///   - text: The subject.
    ///   - wildcards: Whether `*` and a final `>` are allowed (subscriptions).
    /// - Throws: ``NATSProtocolError/invalidSubject(_:)``.
    public init(_ text: String, wildcards: Bool = false) throws(NATSProtocolError) {
        let bytes = Array(text.utf8)
        guard let hasWildcards = Self.check(bytes, wildcards: wildcards) else { throw .invalidSubject(text) }
        self.bytes = bytes
        self.hasWildcards = hasWildcards
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// Nil when `bytes` is not a subject; else whether it holds wildcards.
    private static func check(_ bytes: [UInt8], wildcards: Bool) -> Bool? {
        guard !bytes.isEmpty else { return nil }
        var tokenStart = 0
        var found = false
        for index in 0...bytes.count {
            guard index == bytes.count || bytes[index] == UInt8(ascii: ".") else {
                guard bytes[index] > 0x20, bytes[index] != 0x7F else { return nil }
                continue
            }
            let token = bytes[tokenStart..<index]
            guard !token.isEmpty else { return nil }
            if token.count == 1 && (token.first == UInt8(ascii: "*") || token.first == UInt8(ascii: ">")) {
                guard wildcards else { return nil }
                guard token.first == UInt8(ascii: "*") || index == bytes.count else { return nil }
                found = true
            }
            tokenStart = index + 1
        }
        return found
    }
}

/// Checks a queue group name: one or more bytes, none of them white space or control.
func validateQueueGroup(_ group: String) throws(NATSProtocolError) -> [UInt8] {
    let bytes = Array(group.utf8)
    guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { throw .invalidQueueGroup(group) }
    return bytes
}
