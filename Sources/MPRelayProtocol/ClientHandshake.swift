public import Crypto

/// The connecting side of the `multiprocessing.connection` handshake, as `Client()` runs it:
/// answer the listener's challenge, then deliver one of our own.
///
/// Pure, like ``ServerHandshake``: frames in, actions out.
public struct ClientHandshake: Sendable {
    private enum State: Sendable {
        case awaitingChallenge
        case awaitingVerdict
        case awaitingReply
        case finished
    }

    private let key: SymmetricKey
    private let policy: HandshakePolicy
    private let challenge: [UInt8]
    private var state: State = .awaitingChallenge

    /// Creates the client's side of a handshake.
    ///
    /// - Parameters:
    ///   - key: the shared authkey.
    ///   - nonce: ``HandshakeMessage/nonceLength`` bytes from a CSPRNG, for our own challenge.
    ///   - digest: the digest our challenge asks for.
    ///   - policy: which digests are accepted from the listener.
    public init(key: SymmetricKey, nonce: [UInt8], digest: HandshakeDigest = .preferred, policy: HandshakePolicy = .init()) {
        precondition(nonce.count == HandshakeMessage.nonceLength, "the nonce must be \(HandshakeMessage.nonceLength) bytes")
        self.key = key
        self.policy = policy
        self.challenge = HandshakeMessage.prefix(digest) + nonce
    }

    /// Takes the next frame body from the listener.
    public mutating func receive(_ frame: UnsafeRawBufferPointer) -> HandshakeAction {
        let bytes = Array(frame)
        switch state {
        case .finished:
            return .fail(reply: nil, HandshakeError(.unexpectedFrame, "frame received outside the handshake"))
        case .awaitingChallenge:
            state = .finished
            guard bytes.starts(with: HandshakeMessage.challenge) else {
                return .fail(reply: nil, HandshakeError(.malformed, "listener did not start with #CHALLENGE#"))
            }
            let message = Array(bytes[HandshakeMessage.challenge.count...])
            guard let (reply, digest, legacy) = HandshakeMAC.reply(to: message, key: key) else {
                return .fail(reply: nil, HandshakeError(.malformed, "listener's challenge is too short or names no known digest"))
            }
            if let refusal = policy.refusal(of: digest, legacy: legacy, what: "listener's challenge") {
                return .fail(reply: nil, refusal)
            }
            state = .awaitingVerdict
            return .send(reply)
        case .awaitingVerdict:
            guard bytes == HandshakeMessage.welcome else {
                state = .finished
                return .fail(reply: nil, HandshakeError(.rejectedByPeer, "listener rejected our reply: wrong authkey?"))
            }
            state = .awaitingReply
            return .send(HandshakeMessage.challenge + challenge)
        case .awaitingReply:
            state = .finished
            switch HandshakeMAC.verify(reply: bytes, challenge: challenge, keys: [key], policy: policy, what: "listener's reply") {
            case .success(let outcome):
                return .established(reply: HandshakeMessage.welcome, outcome)
            case .failure(let error):
                return .fail(reply: HandshakeMessage.failure, error)
            }
        }
    }
}
