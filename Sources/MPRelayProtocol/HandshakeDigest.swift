public import Crypto

/// A MAC algorithm that `multiprocessing.connection` names in a `{digest}` prefix.
public enum HandshakeDigest: String, CaseIterable, Comparable, Sendable {
    case md5
    case sha256
    case sha384
    case sha3_256
    case sha3_384

    /// The digest CPython 3.12 and later put in their challenges, and the one mprelay sends.
    public static let preferred: HandshakeDigest = .sha256

    /// The longest digest name, which bounds the search for the closing `}`.
    static let maxNameLength = allCases.map(\.rawValue.utf8.count).max()!

    /// The length of this digest's MAC in bytes.
    public var macLength: Int {
        switch self {
        case .md5: return Insecure.MD5.byteCount
        case .sha256: return SHA256.byteCount
        case .sha384: return SHA384.byteCount
        case .sha3_256: return SHA3_256.byteCount
        case .sha3_384: return SHA3_384.byteCount
        }
    }

    /// Strength, for `min_digest` style policies: MD5, then the 256-bit digests, then the 384-bit
    /// ones (SHA-2 and SHA-3 of one size rank alike).
    private var rank: Int {
        switch self {
        case .md5: return 0
        case .sha256, .sha3_256: return 1
        case .sha384, .sha3_384: return 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    /// The HMAC of `message` under `key`.
    public func mac(key: SymmetricKey, message: [UInt8]) -> [UInt8] {
        switch self {
        case .md5: return Array(HMAC<Insecure.MD5>.authenticationCode(for: message, using: key))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: message, using: key))
        case .sha3_256: return Array(HMAC<SHA3_256>.authenticationCode(for: message, using: key))
        case .sha3_384: return Array(HMAC<SHA3_384>.authenticationCode(for: message, using: key))
        }
    }

    /// Whether `mac` is the HMAC of `message` under `key`, compared in constant time.
    public func isValid(mac: [UInt8], key: SymmetricKey, message: [UInt8]) -> Bool {
        switch self {
        case .md5: return HMAC<Insecure.MD5>.isValidAuthenticationCode(mac, authenticating: message, using: key)
        case .sha256: return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key)
        case .sha384: return HMAC<SHA384>.isValidAuthenticationCode(mac, authenticating: message, using: key)
        case .sha3_256: return HMAC<SHA3_256>.isValidAuthenticationCode(mac, authenticating: message, using: key)
        case .sha3_384: return HMAC<SHA3_384>.isValidAuthenticationCode(mac, authenticating: message, using: key)
        }
    }
}
