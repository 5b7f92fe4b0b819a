/// Why a frame body is not a valid envelope.
public enum EnvelopeError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case unknownKind(UInt8)
    case truncated(EnvelopeKind, needed: Int, got: Int)
    case trailingBytes(EnvelopeKind, count: Int)
    case invalidName(EnvelopeKind, PeerNameError)
    case unknownOptions(EnvelopeKind, UInt8)
    case invalidBoolean(EnvelopeKind, UInt8)
    case invalidText(EnvelopeKind)
    case unknownGoodbyeReason(UInt16)

    public var description: String {
        switch self {
        case .empty:
            return "empty frame: every envelope starts with a kind byte"
        case .unknownKind(let byte):
            return "unknown envelope kind 0x\(String(byte, radix: 16))"
        case .truncated(let kind, let needed, let got):
            return "\(kind) envelope needs at least \(needed) bytes, got \(got)"
        case .trailingBytes(let kind, let count):
            return "\(kind) envelope has \(count) unexpected trailing bytes"
        case .invalidName(let kind, let error):
            return "\(kind) envelope: \(error)"
        case .unknownOptions(let kind, let bits):
            return "\(kind) envelope sets unknown option bits 0x\(String(bits, radix: 16))"
        case .invalidBoolean(let kind, let byte):
            return "\(kind) envelope: expected 0 or 1, got \(byte)"
        case .invalidText(let kind):
            return "\(kind) envelope: text is not valid UTF-8"
        case .unknownGoodbyeReason(let reason):
            return "GOODBYE envelope: unknown reason \(reason)"
        }
    }
}
