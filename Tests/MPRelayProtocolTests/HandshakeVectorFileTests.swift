import MPRelayProtocol
import Testing

/// The recorded CPython handshakes load and cover what the handshake tests rely on.
@Suite("CPython handshake vectors")
struct HandshakeVectorFileTests {
    @Test("the vectors load and cover every interpreter, digest and mixed pair")
    func coverage() throws {
        let vectors = try HandshakeVectors.loaded.get()
        #expect(vectors.count == 26)
        for minor in ["3.12", "3.13"] {
            for digest in HandshakeDigest.allCases {
                _ = try HandshakeVectors.find(listener: minor, digest, client: minor, digest)
                _ = try HandshakeVectors.find(listener: minor, .sha256, client: minor, digest)
            }
        }
        for minor in ["3.8", "3.11"] {
            _ = try HandshakeVectors.find(listener: minor, nil, client: minor, nil)
        }
        _ = try HandshakeVectors.find(listener: "3.13", .sha256, client: "3.11", nil)
        _ = try HandshakeVectors.find(listener: "3.11", nil, client: "3.13", .sha256)
        _ = try HandshakeVectors.find(listener: "3.12", .sha256, client: "3.8", nil)
        _ = try HandshakeVectors.find(listener: "3.8", nil, client: "3.12", .sha256)
        #expect(HandshakeVectors.replayableByServer.count == 14)
        #expect(HandshakeVectors.replayableByClient.count == 21)
    }

    @Test("only the handshakes with a wrong client key failed, and CPython saw them fail")
    func failures() throws {
        for vector in try HandshakeVectors.loaded.get() {
            let wrongKey = vector.client.key != vector.listener.key
            #expect(vector.listener.succeeded == !wrongKey, "\(vector.name)")
            #expect(vector.client.succeeded == !wrongKey, "\(vector.name)")
            #expect(vector.frames.count == (wrongKey ? 3 : 6), "\(vector.name)")
            #expect(vector.frames.last?.body == (wrongKey ? HandshakeMessage.failure : HandshakeMessage.welcome))
        }
    }

    @Test("frames alternate listener, client, ... and fit CPython's 256-byte handshake limit")
    func shape() throws {
        for vector in try HandshakeVectors.loaded.get() {
            #expect(vector.frames.map(\.fromListener) == (0..<vector.frames.count).map { $0.isMultiple(of: 2) })
            #expect(vector.frames.allSatisfy { $0.body.count <= HandshakeMessage.maxFrameLength })
            let nonceLength = HandshakeMessage.nonceLength
            #expect(vector.listener.drawnNonce?.count == (vector.listener.isLegacy ? 20 : nonceLength))
            // A client with the wrong key fails before it draws the nonce of its own challenge.
            let clientNonceLength = vector.client.succeeded ? (vector.client.isLegacy ? 20 : nonceLength) : nil
            #expect(vector.client.drawnNonce?.count == clientNonceLength)
        }
    }
}
