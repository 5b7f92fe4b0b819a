import MPRelayProtocol
import Testing

/// ClientHandshake plays CPython's `Client()` against transcripts of real CPython listeners.
@Suite("ClientHandshake against CPython")
struct ClientHandshakeVectorTests {
    /// Feeds CPython's listener frames to a ClientHandshake holding the client's key, nonce and
    /// digest, and checks that every frame it sends is the one CPython's client sent, and how it ends.
    @Test("replays the CPython client's side of the transcript", arguments: HandshakeVectors.replayableByClient)
    func replay(vector: HandshakeVector) throws {
        let digest = try #require(vector.client.digest)
        var client = ClientHandshake(key: vector.client.symmetricKey, nonce: vector.client.nonce, digest: digest)
        var sent: [[UInt8]] = []
        var final: HandshakeAction?
        for body in vector.listenerFrames {
            #expect(final == nil, "the handshake ended before CPython's listener stopped sending")
            let action = client.receive(body)
            if let reply = action.frameToSend { sent.append(reply) }
            if action.isFinal { final = action }
        }
        #expect(sent == vector.clientFrames)
        if vector.client.succeeded {
            // The listener replied to our {digest} challenge: raw MD5 if legacy, else {digest}.
            let legacy = vector.listener.isLegacy
            let outcome = HandshakeOutcome(keyIndex: 0, digest: legacy ? .md5 : digest, legacy: legacy)
            #expect(final == .established(reply: HandshakeMessage.welcome, outcome))
        } else {
            #expect(final == .fail(reply: nil, HandshakeError(.rejectedByPeer, "")))
        }
    }

    @Test("answers a CPython listener's challenge of each digest as CPython's client does", arguments: HandshakeDigest.allCases)
    func answersEachDigest(digest: HandshakeDigest) throws {
        for minor in ["3.12", "3.13"] {
            let vector = try HandshakeVectors.find(listener: minor, digest, client: minor, digest)
            #expect(vector.listenerFrames[0] == HandshakeMessage.challenge + HandshakeMessage.prefix(digest) + vector.listener.nonce)
            var client = ClientHandshake(key: vector.client.symmetricKey, nonce: vector.client.nonce)
            let reply = try #require(client.receive(vector.listenerFrames[0]).frameToSend)
            #expect(reply == vector.clientFrames[0])
            #expect(reply.count == HandshakeMessage.prefix(digest).count + digest.macLength)
        }
    }

    /// CPython 3.8 and 3.11 listeners challenge with 20 raw bytes and expect a raw HMAC-MD5.
    @Test(
        "answers a legacy listener's 20-byte challenge with CPython's raw HMAC-MD5",
        arguments: HandshakeVectors.all.filter(\.listener.isLegacy)
    )
    func answersLegacyChallenge(vector: HandshakeVector) throws {
        var client = ClientHandshake(key: vector.client.symmetricKey, nonce: try HandshakeVectors.modern().client.nonce)
        let challenge = vector.listenerFrames[0]
        #expect(challenge == HandshakeMessage.challenge + vector.listener.nonce)
        #expect(client.receive(challenge) == .send(vector.clientFrames[0]))
        #expect(vector.clientFrames[0].count == HandshakeMessage.legacyReplyLength)
    }

    @Test("the client's own challenge is CPython's, given the same nonce and digest", arguments: HandshakeDigest.allCases)
    func ownChallenge(digest: HandshakeDigest) throws {
        let vector = try HandshakeVectors.find(listener: "3.13", digest, client: "3.13", digest)
        var client = ClientHandshake(key: vector.client.symmetricKey, nonce: vector.client.nonce, digest: digest)
        _ = client.receive(vector.listenerFrames[0])
        #expect(client.receive(HandshakeMessage.welcome) == .send(vector.clientFrames[1]))
    }

    @Test("by default the client challenges with {sha256}, as CPython 3.12 and later do")
    func defaultDigest() throws {
        let vector = try HandshakeVectors.modern()
        var client = ClientHandshake(key: vector.client.symmetricKey, nonce: vector.client.nonce)
        _ = client.receive(vector.listenerFrames[0])
        #expect(client.receive(HandshakeMessage.welcome) == .send(vector.clientFrames[1]))
        #expect(HandshakeDigest.preferred == .sha256)
    }
}
