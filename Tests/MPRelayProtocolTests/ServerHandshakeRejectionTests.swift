import Crypto
import MPRelayProtocol
import Testing

/// What the broker's side of the handshake refuses, checked with CPython's own frames where they
/// exist. Every vector shares the listener's key and nonce, so frames of different vectors combine.
@Suite("ServerHandshake rejections")
struct ServerHandshakeRejectionTests {
    static let otherKeys = ["first other key", "second other key", "third other key"].map { SymmetricKey(data: utf8($0)) }

    /// A started server holding the listener nonce of the vectors.
    static func server(keys: [SymmetricKey]? = nil, policy: HandshakePolicy = .init()) throws -> ServerHandshake {
        let vector = try HandshakeVectors.modern()
        var server = ServerHandshake(keys: keys ?? [vector.listener.symmetricKey], nonce: vector.listener.nonce, policy: policy)
        _ = server.start()
        return server
    }

    /// CPython's reply to the listener's challenge: `{sha256}` from 3.13, raw MD5 from 3.11.
    static func reply(legacy: Bool) throws -> [UInt8] {
        try (legacy ? HandshakeVectors.legacyClient() : HandshakeVectors.modern()).clientFrames[0]
    }

    @Test("a reply made with another key is refused with #FAILURE#", arguments: [false, true])
    func wrongKey(legacy: Bool) throws {
        var single = try Self.server(keys: [Self.otherKeys[0]])
        #expect(single.receive(try Self.reply(legacy: legacy)) == .failure(.wrongKey))
        var several = try Self.server(keys: Self.otherKeys)
        #expect(several.receive(try Self.reply(legacy: legacy)) == .failure(.wrongKey))
    }

    @Test("with several keys, the one that matches is found wherever it is", arguments: [0, 1, 2, 3], [false, true])
    func keyIndex(position: Int, legacy: Bool) throws {
        let vector = try legacy ? HandshakeVectors.legacyClient() : HandshakeVectors.modern()
        var keys = Self.otherKeys
        keys.insert(vector.listener.symmetricKey, at: position)
        var server = try Self.server(keys: keys)
        #expect(server.receive(vector.clientFrames[0]) == .send(HandshakeMessage.welcome))
        // The reply to the client's challenge is made with the key that matched.
        #expect(server.receive(vector.clientFrames[1]) == .send(vector.listenerFrames[2]))
        let outcome = HandshakeOutcome(keyIndex: position, digest: legacy ? .md5 : .sha256, legacy: legacy)
        #expect(server.receive(HandshakeMessage.welcome) == .established(reply: nil, outcome))
    }

    @Test("allowLegacyMD5 = false refuses the 16-byte reply with #FAILURE#")
    func legacyReplyRefused() throws {
        var server = try Self.server(policy: .init(allowLegacyMD5: false))
        #expect(server.receive(try Self.reply(legacy: true)) == .failure(.legacyRefused))
    }

    @Test("allowLegacyMD5 = false refuses the 20-byte challenge by closing")
    func legacyChallengeRefused() throws {
        var server = try Self.server(policy: .init(allowLegacyMD5: false))
        #expect(server.receive(try Self.reply(legacy: false)) == .send(HandshakeMessage.welcome))
        #expect(server.receive(try HandshakeVectors.legacyClient().clientFrames[1]) == .closed(.legacyRefused))
    }

    @Test("allowLegacyMD5 = false still lets a modern client in")
    func modernUnderStrictPolicy() throws {
        let vector = try HandshakeVectors.modern()
        var server = try Self.server(policy: .init(allowLegacyMD5: false, minimumDigest: .sha256))
        #expect(server.receive(vector.clientFrames[0]) == .send(HandshakeMessage.welcome))
        #expect(server.receive(vector.clientFrames[1]) == .send(vector.listenerFrames[2]))
        #expect(server.receive(HandshakeMessage.welcome) == .established(reply: nil, .init(keyIndex: 0, digest: .sha256, legacy: false)))
    }

    @Test("minimumDigest refuses weaker replies with #FAILURE#")
    func weakReply() throws {
        var strict = try Self.server(policy: .init(minimumDigest: .sha384))
        #expect(strict.receive(try Self.reply(legacy: false)) == .failure(.digestTooWeak))
        var legacy = try Self.server(policy: .init(minimumDigest: .sha256))
        #expect(legacy.receive(try Self.reply(legacy: true)) == .failure(.digestTooWeak))
    }

    @Test("minimumDigest = sha256 judges the client's challenge digest", arguments: HandshakeDigest.allCases)
    func weakChallenge(digest: HandshakeDigest) throws {
        let vector = try HandshakeVectors.find(listener: "3.13", .sha256, client: "3.13", digest)
        var server = try Self.server(policy: .init(minimumDigest: .sha256))
        #expect(server.receive(vector.clientFrames[0]) == .send(HandshakeMessage.welcome))
        let expected: HandshakeAction = digest < .sha256 ? .closed(.digestTooWeak) : .send(vector.listenerFrames[2])
        #expect(server.receive(vector.clientFrames[1]) == expected)
    }

    @Test("minimumDigest refuses a legacy challenge, which is MD5")
    func weakLegacyChallenge() throws {
        var server = try Self.server(policy: .init(minimumDigest: .sha256))
        #expect(server.receive(try Self.reply(legacy: false)) == .send(HandshakeMessage.welcome))
        #expect(server.receive(try HandshakeVectors.legacyClient().clientFrames[1]) == .closed(.digestTooWeak))
    }

    static let malformedReplies: [(String, [UInt8])] = [
        ("empty", []),
        ("32 raw bytes, no prefix", [UInt8](repeating: 0, count: 32)),
        ("15 bytes", [UInt8](repeating: 0, count: 15)),
        ("17 bytes", [UInt8](repeating: 0, count: 17)),
        ("20 bytes, the legacy challenge length", [UInt8](repeating: 0x22, count: 20)),
        ("unknown digest sha1", utf8("{sha1}") + [UInt8](repeating: 1, count: 20)),
        ("unknown digest sha512", utf8("{sha512}") + [UInt8](repeating: 1, count: 64)),
        ("upper-case digest", utf8("{SHA256}") + [UInt8](repeating: 1, count: 32)),
        ("no closing brace", utf8("{sha256") + [UInt8](repeating: 1, count: 32)),
        ("closing brace too far", utf8("{sha3_256xx}") + [UInt8](repeating: 1, count: 32)),
        ("prefix only", utf8("{sha256}")),
        ("md5 prefix, 32-byte MAC", utf8("{md5}") + [UInt8](repeating: 1, count: 32)),
        ("sha384 prefix, 32-byte MAC", utf8("{sha384}") + [UInt8](repeating: 1, count: 32)),
    ]

    @Test("a malformed reply is refused with #FAILURE#", arguments: malformedReplies)
    func malformedReply(label: String, reply: [UInt8]) throws {
        var server = try Self.server()
        #expect(server.receive(reply) == .failure(.malformed), "\(label)")
    }

    @Test("CPython's reply one byte short or long is malformed, not a wrong key", arguments: [-1, 1])
    func wrongMACLength(delta: Int) throws {
        let reply = try Self.reply(legacy: false)
        var server = try Self.server()
        let changed = delta < 0 ? Array(reply.dropLast()) : reply + [0]
        #expect(server.receive(changed) == .failure(.malformed))
    }

    static let malformedChallenges: [(String, [UInt8])] = [
        ("empty", []),
        ("#WELCOME# instead", HandshakeMessage.welcome),
        ("no #CHALLENGE#", utf8("{sha256}") + [UInt8](repeating: 2, count: 40)),
        ("lower-case #challenge#", utf8("#challenge#{sha256}") + [UInt8](repeating: 2, count: 40)),
        ("#CHALLENGE# alone", HandshakeMessage.challenge),
        ("16-byte challenge", HandshakeMessage.challenge + [UInt8](repeating: 2, count: 16)),
        ("19-byte challenge", HandshakeMessage.challenge + [UInt8](repeating: 2, count: 19)),
        ("unknown digest", HandshakeMessage.challenge + utf8("{sha1}") + [UInt8](repeating: 2, count: 40)),
        ("no closing brace", HandshakeMessage.challenge + utf8("{sha256") + [UInt8](repeating: 2, count: 40)),
    ]

    @Test("a malformed client challenge closes the connection", arguments: malformedChallenges)
    func malformedChallenge(label: String, challenge: [UInt8]) throws {
        var server = try Self.server()
        #expect(server.receive(try Self.reply(legacy: false)) == .send(HandshakeMessage.welcome))
        #expect(server.receive(challenge) == .closed(.malformed), "\(label)")
    }

    @Test("the client answering #FAILURE#, or anything but #WELCOME#, ends it", arguments: [
        HandshakeMessage.failure, utf8("#welcome#"), HandshakeMessage.welcome + [0], [],
    ])
    func rejectedByClient(verdict: [UInt8]) throws {
        let vector = try HandshakeVectors.modern()
        var server = try Self.server()
        #expect(server.receive(vector.clientFrames[0]) == .send(HandshakeMessage.welcome))
        #expect(server.receive(vector.clientFrames[1]) == .send(vector.listenerFrames[2]))
        #expect(server.receive(verdict) == .closed(.rejectedByPeer))
    }

    @Test("a frame after the end, or before start(), is unexpected")
    func frameOutsideHandshake() throws {
        let vector = try HandshakeVectors.modern()
        var established = try Self.server()
        for body in vector.clientFrames { _ = established.receive(body) }
        #expect(established.receive(HandshakeMessage.welcome) == .closed(.unexpectedFrame))
        var failed = try Self.server(keys: Self.otherKeys)
        #expect(failed.receive(vector.clientFrames[0]) == .failure(.wrongKey))
        #expect(failed.receive(vector.clientFrames[1]) == .closed(.unexpectedFrame))
        var unstarted = ServerHandshake(keys: [vector.listener.symmetricKey], nonce: vector.listener.nonce, policy: .init())
        #expect(unstarted.receive(vector.clientFrames[0]) == .closed(.unexpectedFrame))
    }
}
