public import Crypto

/// The listening side of the `multiprocessing.connection` handshake, as `Listener.accept()` runs it:
/// deliver a challenge, then answer the client's.
///
/// Pure: it neither reads a socket nor draws randomness; the caller passes the nonce in, feeds each
/// frame body and carries out the ``HandshakeAction`` it gets back.
public struct ServerHandshake: Sendable {
    private enum State: Sendable {
        case idle
        case awaitingReply
        case awaitingChallenge(HandshakeOutcome)
        case awaitingWelcome(HandshakeOutcome)
        case finished
    }

    private let keys: [SymmetricKey]
    private let policy: HandshakePolicy
    private let challenge: [UInt8]
    private var state: State = .idle

    /// Creates the broker's side of a handshake.
    ///
    /// - Parameters:
    ///   - keys: every key a client may prove; the outcome says which one it held.
    ///   - nonce: ``HandshakeMessage/nonceLength`` bytes from a CSPRNG.
    ///   - policy: which digests are accepted.
    public init(keys: [SymmetricKey], nonce: [UInt8], policy: HandshakePolicy) {
        precondition(!keys.isEmpty, "a handshake needs at least one key")
        precondition(nonce.count == HandshakeMessage.nonceLength, "the nonce must be \(HandshakeMessage.nonceLength) bytes")
        self.keys = keys
        self.policy = policy
        self.challenge = HandshakeMessage.prefix(.preferred) + nonce
    }

    /// Returns the first frame body to send: `#CHALLENGE#{sha256}` and the nonce.
    public mutating func start() -> [UInt8] {
        precondition(isIdle, "start() is called once, first")
        state = .awaitingReply
        return HandshakeMessage.challenge + challenge
    }

    private var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// Takes the next frame body from the client.
    public mutating func receive(_ frame: UnsafeRawBufferPointer) -> HandshakeAction {
        let bytes = Array(frame)
        switch state {
        case .idle, .finished:
            state = .finished
            return .fail(reply: nil, HandshakeError(.unexpectedFrame, "frame received outside the handshake"))
        case .awaitingReply:
            switch HandshakeMAC.verify(reply: bytes, challenge: challenge, keys: keys, policy: policy, what: "client's reply") {
            case .success(let outcome):
                state = .awaitingChallenge(outcome)
                return .send(HandshakeMessage.welcome)
            case .failure(let error):
                state = .finished
                return .fail(reply: HandshakeMessage.failure, error)
            }
        case .awaitingChallenge(let outcome):
            state = .finished
            guard bytes.starts(with: HandshakeMessage.challenge) else {
                return .fail(reply: nil, HandshakeError(.malformed, "client sent no #CHALLENGE# after #WELCOME#"))
            }
            let message = Array(bytes[HandshakeMessage.challenge.count...])
            guard let (reply, digest, legacy) = HandshakeMAC.reply(to: message, key: keys[outcome.keyIndex]) else {
                return .fail(reply: nil, HandshakeError(.malformed, "client's challenge is too short or names no known digest"))
            }
            if let refusal = policy.refusal(of: digest, legacy: legacy, what: "client's challenge") {
                return .fail(reply: nil, refusal)
            }
            state = .awaitingWelcome(outcome)
            return .send(reply)
        case .awaitingWelcome(let outcome):
            state = .finished
            guard bytes == HandshakeMessage.welcome else {
                return .fail(reply: nil, HandshakeError(.rejectedByPeer, "client rejected the broker's reply"))
            }
            return .established(reply: nil, outcome)
        }
    }
}
