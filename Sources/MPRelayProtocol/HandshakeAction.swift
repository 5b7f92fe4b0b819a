/// What a handshake state machine asks its caller to do after a frame.
public enum HandshakeAction: Equatable, Sendable {
    /// Send this frame body and wait for the next frame.
    case send([UInt8])
    /// The handshake succeeded: send `reply` if there is one, then speak envelopes.
    case established(reply: [UInt8]?, HandshakeOutcome)
    /// The handshake failed: send `reply` if there is one, then close the connection.
    case fail(reply: [UInt8]?, HandshakeError)
}

/// What a successful handshake established about the other side.
public struct HandshakeOutcome: Equatable, Sendable {
    /// The index, among the keys offered, of the one the peer proved it holds.
    public let keyIndex: Int
    /// The digest of the peer's reply to our challenge.
    public let digest: HandshakeDigest
    /// Whether the peer used the unprefixed HMAC-MD5 form of CPython 3.11 and older.
    public let legacy: Bool

    public init(keyIndex: Int, digest: HandshakeDigest, legacy: Bool) {
        self.keyIndex = keyIndex
        self.digest = digest
        self.legacy = legacy
    }

    /// How logs and the control socket name the digest: `sha256`, or `legacy md5`.
    public var digestDescription: String { legacy ? "legacy md5" : digest.rawValue }
}

/// Which replies a side of the handshake accepts.
public struct HandshakePolicy: Equatable, Sendable {
    /// Whether the unprefixed HMAC-MD5 form (CPython 3.11 and older) is accepted.
    public var allowLegacyMD5: Bool
    /// The weakest digest accepted in a reply or a challenge; nil accepts every digest.
    public var minimumDigest: HandshakeDigest?

    public init(allowLegacyMD5: Bool = true, minimumDigest: HandshakeDigest? = nil) {
        self.allowLegacyMD5 = allowLegacyMD5
        self.minimumDigest = minimumDigest
    }

    /// Returns why `digest` in `form` is refused, or nil when it is accepted.
    func refusal(of digest: HandshakeDigest, legacy: Bool, what: String) -> HandshakeError? {
        if legacy && !allowLegacyMD5 {
            return HandshakeError(
                .legacyRefused,
                "\(what) uses legacy HMAC-MD5 (CPython 3.11 or older) and allow_legacy_md5 is false"
            )
        }
        if let minimum = minimumDigest, digest < minimum {
            return HandshakeError(.digestTooWeak, "\(what) uses \(digest.rawValue), weaker than min_digest \(minimum.rawValue)")
        }
        return nil
    }
}
