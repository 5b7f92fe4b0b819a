import Crypto

/// The fixed strings and the digest-prefix rules of the `multiprocessing.connection` handshake,
/// as CPython's `_get_digest_name_and_payload` and `_create_response` apply them.
public enum HandshakeMessage {
    /// Starts every challenge.
    public static let challenge = Array("#CHALLENGE#".utf8)
    /// Sent when the other side's reply was right.
    public static let welcome = Array("#WELCOME#".utf8)
    /// Sent when the other side's reply was wrong.
    public static let failure = Array("#FAILURE#".utf8)
    /// The random part of a modern challenge (CPython's `MESSAGE_LENGTH`).
    public static let nonceLength = 40
    /// A fresh nonce of ``nonceLength`` bytes for a challenge, from BoringSSL's CSPRNG (one call,
    /// no system call per byte: it is made for every accepted connection).
    public static func makeNonce() -> [UInt8] {
        SymmetricKey(size: SymmetricKeySize(bitCount: nonceLength * 8)).withUnsafeBytes { Array($0) }
    }
    /// A challenge of exactly this length comes from a CPython 3.11 or older peer.
    public static let legacyChallengeLength = 20
    /// A reply of exactly this length is a raw HMAC-MD5 from a CPython 3.11 or older peer.
    public static let legacyReplyLength = 16
    /// The largest handshake frame either side accepts (CPython's `recv_bytes(256)`).
    public static let maxFrameLength = 256

    /// How a challenge or a reply names its digest.
    public enum Form: Equatable, Sendable {
        /// No prefix: the CPython 3.11 and older protocol, always HMAC-MD5.
        case legacy
        /// A `{digest}` prefix; `bodyOffset` is where the bytes after the `}` start.
        case prefixed(HandshakeDigest, bodyOffset: Int)
    }

    /// Classifies a challenge (after `#CHALLENGE#`) or a reply, or returns nil when it is neither.
    public static func form(of message: some RandomAccessCollection<UInt8>) -> Form? {
        if message.count == legacyChallengeLength || message.count == legacyReplyLength { return .legacy }
        guard message.first == UInt8(ascii: "{") else { return nil }
        let searchEnd = message.index(message.startIndex, offsetBy: min(message.count, HandshakeDigest.maxNameLength + 2))
        guard let close = message[message.startIndex..<searchEnd].firstIndex(of: UInt8(ascii: "}")) else { return nil }
        let name = message[message.index(after: message.startIndex)..<close]
        guard let digest = HandshakeDigest(rawValue: String(decoding: name, as: UTF8.self)) else { return nil }
        return .prefixed(digest, bodyOffset: message.distance(from: message.startIndex, to: close) + 1)
    }

    /// The `{digest}` prefix as bytes.
    public static func prefix(_ digest: HandshakeDigest) -> [UInt8] {
        Array("{\(digest.rawValue)}".utf8)
    }
}
