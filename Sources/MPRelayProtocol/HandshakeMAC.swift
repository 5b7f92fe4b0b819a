import Crypto

/// The two MAC computations both roles share: replying to a challenge and checking a reply.
enum HandshakeMAC {
    /// The reply to `challenge` (the bytes after `#CHALLENGE#`), exactly as CPython's
    /// `_create_response` builds it; nil when the challenge is malformed.
    static func reply(to challenge: [UInt8], key: SymmetricKey) -> (reply: [UInt8], digest: HandshakeDigest, legacy: Bool)? {
        guard challenge.count >= HandshakeMessage.legacyChallengeLength,
            let form = HandshakeMessage.form(of: challenge)
        else { return nil }
        switch form {
        case .legacy:
            return (HandshakeDigest.md5.mac(key: key, message: challenge), .md5, true)
        case .prefixed(let digest, _):
            return (HandshakeMessage.prefix(digest) + digest.mac(key: key, message: challenge), digest, false)
        }
    }

    /// Checks `reply` to our `challenge` against every key, without stopping at the first match,
    /// so the time taken does not tell which key came close.
    static func verify(
        reply: [UInt8],
        challenge: [UInt8],
        keys: [SymmetricKey],
        policy: HandshakePolicy,
        what: String
    ) -> Result<HandshakeOutcome, HandshakeError> {
        guard let form = HandshakeMessage.form(of: reply) else {
            return .failure(HandshakeError(.malformed, "\(what) has no {digest} prefix and is not a legacy MD5 reply"))
        }
        let digest: HandshakeDigest
        let mac: [UInt8]
        let legacy: Bool
        switch form {
        case .legacy:
            (digest, mac, legacy) = (.md5, reply, true)
        case .prefixed(let named, let offset):
            (digest, mac, legacy) = (named, Array(reply[offset...]), false)
        }
        if let refusal = policy.refusal(of: digest, legacy: legacy, what: what) { return .failure(refusal) }
        guard mac.count == digest.macLength else {
            return .failure(HandshakeError(.malformed, "\(what) has a \(mac.count)-byte \(digest.rawValue) MAC, expected \(digest.macLength)"))
        }
        var match: Int?
        for (index, key) in keys.enumerated() {
            let valid = digest.isValid(mac: mac, key: key, message: challenge)
            if valid && match == nil { match = index }
        }
        guard let keyIndex = match else {
            return .failure(HandshakeError(.wrongKey, "\(what) does not match the authkey"))
        }
        return .success(HandshakeOutcome(keyIndex: keyIndex, digest: digest, legacy: legacy))
    }
}
