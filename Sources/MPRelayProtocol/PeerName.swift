/// A registered peer name: 1 to 255 bytes of UTF-8 with no control characters, no white space and
/// none of the glob characters `*`, `?`, `[`, `]` (reserved for access rules).
public struct PeerName: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The longest name, in UTF-8 bytes.
    public static let maxLength = 255

    /// The name's UTF-8 bytes, as they travel on the wire.
    public let bytes: [UInt8]

    /// Validates `bytes` as a peer name.
    public init(validating bytes: some Collection<UInt8>) throws(PeerNameError) {
        try self.init(checking: Array(bytes))
    }

    /// Validates `bytes` as a peer name. The concrete forms the relay path uses spare it the
    /// generic one's run-time type lookups, which cost more than the check itself.
    public init(validating bytes: [UInt8]) throws(PeerNameError) {
        try self.init(checking: bytes)
    }

    /// Validates `bytes` as a peer name.
    public init(validating bytes: ArraySlice<UInt8>) throws(PeerNameError) {
        try self.init(checking: Array(bytes))
    }

    /// Validates `bytes` as a peer name.
    public init(validating bytes: UnsafeRawBufferPointer) throws(PeerNameError) {
        try self.init(checking: Array(bytes))
    }

    private init(checking bytes: [UInt8]) throws(PeerNameError) {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= Self.maxLength else { throw .tooLong(bytes.count) }
        if bytes.allSatisfy({ $0 < 0x80 }) {
            // Plain ASCII, the common case, checked without Unicode's property tables: a SEND's
            // destination is validated on every route-cache miss and every cross-node message.
            if let forbidden = Self.firstForbiddenASCII(bytes) { throw .forbiddenCharacter(Unicode.Scalar(forbidden)) }
            self.bytes = bytes
            return
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        for scalar in text.unicodeScalars where Self.isForbidden(scalar) {
            throw .forbiddenCharacter(scalar)
        }
        self.bytes = bytes
    }

    /// Validates `string` as a peer name.
    public init(_ string: String) throws(PeerNameError) {
        try self.init(validating: Array(string.utf8))
    }

    /// A name known to be valid at compile time; traps otherwise.
    public init(stringLiteral value: String) {
        do { try self.init(value) } catch { preconditionFailure("invalid peer name literal \"\(value)\": \(error)") }
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// Hashes the name's bytes in one call, not byte by byte as an array's elements would be:
    /// names are looked up on every route-cache miss and every cross-node delivery.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// The first byte of the ASCII `bytes` that ``isForbidden(_:)`` refuses, found without
    /// Unicode's property tables: the controls (0x00-0x1F, 0x7F), the ASCII white space (all
    /// within 0x09-0x20), and `*`, `?`, `[`, `]`.
    static func firstForbiddenASCII(_ bytes: [UInt8]) -> UInt8? {
        bytes.first { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }
    }

    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.generalCategory == .control || scalar.properties.isWhitespace { return true }
        switch scalar {
        case "*", "?", "[", "]": return true
        default: return false
        }
    }
}

/// Why bytes are not a valid ``PeerName``.
public enum PeerNameError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(Int)
    case notUTF8
    case forbiddenCharacter(Unicode.Scalar)

    public var description: String {
        switch self {
        case .empty: return "a peer name cannot be empty"
        case .tooLong(let count): return "a peer name is at most \(PeerName.maxLength) bytes, got \(count)"
        case .notUTF8: return "a peer name must be valid UTF-8"
        case .forbiddenCharacter(let scalar):
            return "a peer name cannot contain U+\(String(scalar.value, radix: 16, uppercase: true)) (control, white space or one of * ? [ ])"
        }
    }
}
