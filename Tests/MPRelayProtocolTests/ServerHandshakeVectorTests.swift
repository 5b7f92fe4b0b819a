import MPRelayProtocol
import Testing

/// ServerHandshake plays CPython's `Listener.accept()` against transcripts of real CPython clients.
@Suite("ServerHandshake against CPython")
struct ServerHandshakeVectorTests {
    @Test("given CPython's nonce, the challenge is CPython's, byte for byte", arguments: ["3.12", "3.13"])
    func challenge(minor: String) throws {
        let vector = try HandshakeVectors.find(listener: minor, .sha256, client: minor, .sha256)
        var server = ServerHandshake(keys: [vector.listener.symmetricKey], nonce: vector.listener.nonce, policy: .init())
        let challenge = server.start()
        #expect(challenge == vector.listenerFrames[0])
        #expect(challenge == HandshakeMessage.challenge + utf8("{sha256}") + vector.listener.nonce)
    }

    /// Feeds CPython's client frames to a ServerHandshake holding the listener's key and nonce, and
    /// checks that every frame it sends is the one CPython's listener sent, and how it ends.
    @Test("replays the CPython listener's side of the transcript", arguments: HandshakeVectors.replayableByServer)
    func replay(vector: HandshakeVector) {
        var server = ServerHandshake(keys: [vector.listener.symmetricKey], nonce: vector.listener.nonce, policy: .init())
        var sent = [server.start()]
        var final: HandshakeAction?
        for body in vector.clientFrames {
            #expect(final == nil, "the handshake ended before CPython's client stopped sending")
            let action = server.receive(body)
            if let reply = action.frameToSend { sent.append(reply) }
            if action.isFinal { final = action }
        }
        #expect(sent == vector.listenerFrames)
        if vector.listener.succeeded {
            // CPython's client replied to the {sha256} challenge: raw MD5 if legacy, else {sha256}.
            let legacy = vector.client.isLegacy
            let outcome = HandshakeOutcome(keyIndex: 0, digest: legacy ? .md5 : .sha256, legacy: legacy)
            #expect(final == .established(reply: nil, outcome))
        } else {
            #expect(final == .fail(reply: HandshakeMessage.failure, HandshakeError(.wrongKey, "")))
        }
    }

    @Test(
        "answers a CPython client's challenge of each digest as CPython's listener does",
        arguments: HandshakeDigest.allCases
    )
    func answersEachDigest(digest: HandshakeDigest) throws {
        for minor in ["3.12", "3.13"] {
            let vector = try HandshakeVectors.find(listener: minor, .sha256, client: minor, digest)
            var server = ServerHandshake(keys: [vector.listener.symmetricKey], nonce: vector.listener.nonce, policy: .init())
            _ = server.start()
            #expect(server.receive(vector.clientFrames[0]) == .send(HandshakeMessage.welcome))
            #expect(vector.clientFrames[1].starts(with: HandshakeMessage.challenge + HandshakeMessage.prefix(digest)))
            let reply = try #require(server.receive(vector.clientFrames[1]).frameToSend)
            #expect(reply == vector.listenerFrames[2])
            #expect(reply.count == HandshakeMessage.prefix(digest).count + digest.macLength)
        }
    }

    /// CPython 3.8 and 3.11 clients challenge with 20 raw bytes; every CPython listener, legacy or
    /// modern, answers with the raw 16-byte HMAC-MD5, and so must the broker.
    @Test(
        "answers a legacy client's 20-byte challenge with CPython's raw HMAC-MD5",
        arguments: HandshakeVectors.all.filter { $0.client.isLegacy && $0.client.succeeded }
    )
    func answersLegacyChallenge(vector: HandshakeVector) throws {
        // A modern reply to the shared listener nonce gets the server to the client's challenge.
        let modern = try HandshakeVectors.modern()
        #expect(modern.listener.key == vector.listener.key)
        var server = ServerHandshake(keys: [vector.listener.symmetricKey], nonce: modern.listener.nonce, policy: .init())
        _ = server.start()
        #expect(server.receive(modern.clientFrames[0]) == .send(HandshakeMessage.welcome))
        let challenge = vector.clientFrames[1]
        #expect(challenge.count == HandshakeMessage.challenge.count + HandshakeMessage.legacyChallengeLength)
        #expect(server.receive(challenge) == .send(vector.listenerFrames[2]))
        #expect(vector.listenerFrames[2].count == HandshakeMessage.legacyReplyLength)
        let outcome = HandshakeOutcome(keyIndex: 0, digest: .sha256, legacy: false)
        #expect(server.receive(HandshakeMessage.welcome) == .established(reply: nil, outcome))
    }

    @Test("accepts the legacy MD5 replies of CPython 3.8 and 3.11 clients", arguments: ["3.8", "3.11"])
    func acceptsLegacyReply(minor: String) throws {
        let listenerMinor = minor == "3.8" ? "3.12" : "3.13"
        let vector = try HandshakeVectors.find(listener: listenerMinor, .sha256, client: minor, nil)
        var server = ServerHandshake(keys: [vector.listener.symmetricKey], nonce: vector.listener.nonce, policy: .init())
        _ = server.start()
        #expect(vector.clientFrames[0].count == HandshakeMessage.legacyReplyLength)
        #expect(server.receive(vector.clientFrames[0]) == .send(HandshakeMessage.welcome))
    }
}
