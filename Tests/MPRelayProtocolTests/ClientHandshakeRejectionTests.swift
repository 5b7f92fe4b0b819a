import Crypto
import MPRelayProtocol
import Testing

/// What the connecting side of the handshake refuses. Every vector shares the client's key and
/// nonce, so a modern client's challenge is the same in all of them and frames combine.
@Suite("ClientHandshake rejections")
struct ClientHandshakeRejectionTests {
    static let otherKey = SymmetricKey(data: utf8("not the mprelay authkey either"))

    /// A client that answered the 3.13 `{sha256}` challenge and got `#WELCOME#`: it has just sent its
    /// own `{sha256}` challenge and waits for the listener's reply.
    static func awaitingReply(key: SymmetricKey? = nil, policy: HandshakePolicy = .init()) throws -> ClientHandshake {
        let vector = try HandshakeVectors.modern()
        var client = ClientHandshake(key: key ?? vector.client.symmetricKey, nonce: vector.client.nonce, policy: policy)
        #expect(client.receive(vector.listenerFrames[0]).isFinal == false)
        #expect(client.receive(HandshakeMessage.welcome) == .send(vector.clientFrames[1]))
        return client
    }

    /// The 3.11 listener's raw HMAC-MD5 reply to the client's `{sha256}` challenge.
    static func legacyReply() throws -> [UInt8] {
        try HandshakeVectors.find(listener: "3.11", nil, client: "3.13", .sha256).listenerFrames[2]
    }

    @Test("a listener that refuses our reply with #FAILURE# ends it", arguments: [
        HandshakeMessage.failure, utf8("#welcome#"), HandshakeMessage.challenge, [],
    ])
    func rejectedByListener(verdict: [UInt8]) throws {
        let vector = try HandshakeVectors.modern()
        var client = ClientHandshake(key: vector.client.symmetricKey, nonce: vector.client.nonce)
        #expect(client.receive(vector.listenerFrames[0]) == .send(vector.clientFrames[0]))
        #expect(client.receive(verdict) == .closed(.rejectedByPeer))
    }

    @Test("a listener reply made with another key is refused with #FAILURE#", arguments: [false, true])
    func wrongKey(legacy: Bool) throws {
        var client = try Self.awaitingReply(key: Self.otherKey)
        let reply = legacy ? try Self.legacyReply() : try HandshakeVectors.modern().listenerFrames[2]
        #expect(client.receive(reply) == .failure(.wrongKey))
    }

    @Test("allowLegacyMD5 = false refuses a legacy listener's 20-byte challenge")
    func legacyChallengeRefused() throws {
        let vector = try HandshakeVectors.find(listener: "3.11", nil, client: "3.13", .sha256)
        var client = ClientHandshake(key: vector.client.symmetricKey, nonce: vector.client.nonce, policy: .init(allowLegacyMD5: false))
        #expect(client.receive(vector.listenerFrames[0]) == .closed(.legacyRefused))
    }

    @Test("a legacy reply to our challenge: accepted by default, refused with allowLegacyMD5 = false")
    func legacyReply() throws {
        var lenient = try Self.awaitingReply()
        let outcome = HandshakeOutcome(keyIndex: 0, digest: .md5, legacy: true)
        #expect(lenient.receive(try Self.legacyReply()) == .established(reply: HandshakeMessage.welcome, outcome))
        var strict = try Self.awaitingReply(policy: .init(allowLegacyMD5: false))
        #expect(strict.receive(try Self.legacyReply()) == .failure(.legacyRefused))
    }

    @Test("minimumDigest = sha256 judges the listener's challenge digest", arguments: HandshakeDigest.allCases)
    func weakChallenge(digest: HandshakeDigest) throws {
        let vector = try HandshakeVectors.find(listener: "3.13", digest, client: "3.13", digest)
        var client = ClientHandshake(key: vector.client.symmetricKey, nonce: vector.client.nonce, policy: .init(minimumDigest: .sha256))
        let expected: HandshakeAction = digest < .sha256 ? .closed(.digestTooWeak) : .send(vector.clientFrames[0])
        #expect(client.receive(vector.listenerFrames[0]) == expected)
    }

    @Test("a reply in a weaker digest than we asked for: accepted as CPython does, unless under minimumDigest")
    func weakerReply() throws {
        let vector = try HandshakeVectors.modern()
        let challenge = Array(vector.clientFrames[1].dropFirst(HandshakeMessage.challenge.count))
        let md5Reply = HandshakeMessage.prefix(.md5) + HandshakeDigest.md5.mac(key: vector.listener.symmetricKey, message: challenge)
        var lenient = try Self.awaitingReply()
        let outcome = HandshakeOutcome(keyIndex: 0, digest: .md5, legacy: false)
        #expect(lenient.receive(md5Reply) == .established(reply: HandshakeMessage.welcome, outcome))
        var strict = try Self.awaitingReply(policy: .init(minimumDigest: .sha256))
        #expect(strict.receive(md5Reply) == .failure(.digestTooWeak))
        var legacy = try Self.awaitingReply(policy: .init(minimumDigest: .sha256))
        #expect(legacy.receive(try Self.legacyReply()) == .failure(.digestTooWeak))
    }

    static let malformedChallenges: [(String, [UInt8])] = [
        ("empty", []),
        ("#WELCOME# first", HandshakeMessage.welcome),
        ("no #CHALLENGE#", utf8("{sha256}") + [UInt8](repeating: 3, count: 40)),
        ("#CHALLENGE# alone", HandshakeMessage.challenge),
        ("16-byte challenge", HandshakeMessage.challenge + [UInt8](repeating: 3, count: 16)),
        ("19-byte challenge", HandshakeMessage.challenge + [UInt8](repeating: 3, count: 19)),
        ("unknown digest", HandshakeMessage.challenge + utf8("{sha224}") + [UInt8](repeating: 3, count: 40)),
        ("no closing brace", HandshakeMessage.challenge + utf8("{sha384") + [UInt8](repeating: 3, count: 40)),
    ]

    @Test("a malformed challenge closes the connection", arguments: malformedChallenges)
    func malformedChallenge(label: String, challenge: [UInt8]) throws {
        let vector = try HandshakeVectors.modern()
        var client = ClientHandshake(key: vector.client.symmetricKey, nonce: vector.client.nonce)
        #expect(client.receive(challenge) == .closed(.malformed), "\(label)")
    }

    static let malformedReplies: [(String, [UInt8])] = [
        ("empty", []),
        ("no prefix", [UInt8](repeating: 0, count: 32)),
        ("unknown digest", utf8("{sha1}") + [UInt8](repeating: 0, count: 20)),
        ("sha256 MAC of 31 bytes", utf8("{sha256}") + [UInt8](repeating: 0, count: 31)),
        ("sha256 MAC of 33 bytes", utf8("{sha256}") + [UInt8](repeating: 0, count: 33)),
    ]

    @Test("a malformed listener reply is refused with #FAILURE#", arguments: malformedReplies)
    func malformedReply(label: String, reply: [UInt8]) throws {
        var client = try Self.awaitingReply()
        #expect(client.receive(reply) == .failure(.malformed), "\(label)")
    }

    @Test("a frame after the end is unexpected")
    func frameAfterEnd() throws {
        var established = try Self.awaitingReply()
        #expect(established.receive(try HandshakeVectors.modern().listenerFrames[2]).isFinal)
        #expect(established.receive(HandshakeMessage.welcome) == .closed(.unexpectedFrame))
        var failed = try Self.awaitingReply(key: Self.otherKey)
        #expect(failed.receive(try HandshakeVectors.modern().listenerFrames[2]) == .failure(.wrongKey))
        #expect(failed.receive(HandshakeMessage.welcome) == .closed(.unexpectedFrame))
        var refused = ClientHandshake(key: Self.otherKey, nonce: try HandshakeVectors.modern().client.nonce)
        #expect(refused.receive(HandshakeMessage.welcome) == .closed(.malformed))
        #expect(refused.receive(try HandshakeVectors.modern().listenerFrames[0]) == .closed(.unexpectedFrame))
    }
}
