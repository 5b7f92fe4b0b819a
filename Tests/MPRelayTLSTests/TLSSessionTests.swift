import MPRelayTLS
import Testing

@Suite("TLS sessions in memory")
struct TLSSessionTests {
    static func serverContext(clientCA: Bool = false, minimum: TLSVersion = .tls12) throws -> TLSContext {
        try TLSContext.server(
            certificateFile: TestCertificates.path("server.pem"),
            keyFile: TestCertificates.path("server.key"),
            clientCAFile: clientCA ? TestCertificates.path("ca.pem") : nil,
            minimumVersion: minimum
        )
    }

    static func clientContext(certificate: String? = nil, key: String? = nil, minimum: TLSVersion = .tls12) throws -> TLSContext {
        try TLSContext.client(
            caFile: TestCertificates.path("ca.pem"),
            certificateFile: certificate.map { try TestCertificates.path($0) },
            keyFile: key.map { try TestCertificates.path($0) },
            minimumVersion: minimum
        )
    }

    @Test("a handshake completes and bytes cross both ways, at TLS 1.2 and 1.3")
    func roundTrip() throws {
        for minimum in TLSVersion.allCases {
            let pair = try TLSPair(client: Self.clientContext(minimum: minimum), server: Self.serverContext(minimum: minimum))
            try pair.handshake()
            let message = [UInt8]((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            #expect(try TLSPair.transfer(message, from: pair.client, to: pair.server) == message)
            #expect(try TLSPair.transfer([1, 2, 3], from: pair.server, to: pair.client) == [1, 2, 3])
            let info = try #require(pair.server.peer)
            #expect(info.version == "TLSv1.3")
            #expect(!info.cipher.isEmpty)
            #expect(info.subject == nil)
        }
    }

    @Test("records cut at any point, fed in pieces, decrypt to the same bytes; taking ciphertext appends or swaps")
    func piecewise() throws {
        let pair = try TLSPair(client: Self.clientContext(), server: Self.serverContext())
        try pair.handshake()
        let message = [UInt8]((0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        for piece in [1, 7, 5_000, 16_406] {
            try message.withUnsafeBytes { try pair.client.writePlaintext($0) }
            var prefix: [UInt8] = [0xAA]
            let count = pair.client.takeCiphertext(appendingTo: &prefix)
            #expect(prefix.count == count + 1 && prefix[0] == 0xAA)
            let ciphertext = prefix.dropFirst()
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16_384)
            for start in stride(from: ciphertext.startIndex, to: ciphertext.endIndex, by: piece) {
                ciphertext[start..<min(start + piece, ciphertext.endIndex)].withUnsafeBytes { pair.server.receiveCiphertext($0) }
                while case .bytes(let read) = try buffer.withUnsafeMutableBytes({ try pair.server.readPlaintext(into: $0) }) {
                    received += buffer[..<read]
                }
            }
            #expect(received == message, "pieces of \(piece) bytes")
            #expect(pair.server.bufferedCiphertextCount == 0)
        }
        try [UInt8](repeating: 7, count: 100).withUnsafeBytes { try pair.server.writePlaintext($0) }
        var empty: [UInt8] = []
        #expect(pair.server.takeCiphertext(appendingTo: &empty) == empty.count && empty.count > 100)
        #expect(!pair.server.hasCiphertextToSend)
    }

    @Test("mutual TLS: the server sees the client certificate's subject and alternative names")
    func mutual() throws {
        let pair = try TLSPair(client: Self.clientContext(certificate: "client.pem", key: "client.key"), server: Self.serverContext(clientCA: true))
        try pair.handshake()
        let info = try #require(pair.server.peer)
        #expect(info.subject == "CN=worker-1,O=mprelay tests")
        #expect(info.alternativeNames == ["DNS:worker-1.example"])
    }

    @Test("a client without a certificate, or with one from another CA, fails mutual TLS")
    func mutualRefused() throws {
        for (certificate, key) in [(nil, nil), ("rogue-client.pem", "rogue-client.key")] as [(String?, String?)] {
            let pair = try TLSPair(client: Self.clientContext(certificate: certificate, key: key), server: Self.serverContext(clientCA: true))
            let error = try #require(throws: TLSError.self) { try pair.handshake() }
            #expect(error.code == .handshakeFailed)
        }
    }

    @Test("a client refuses a server name its certificate does not carry")
    func hostnameMismatch() throws {
        let pair = try TLSPair(client: Self.clientContext(), server: Self.serverContext(), serverName: "relay.example")
        let error = try #require(throws: TLSError.self) { try pair.handshake() }
        #expect(error.failure == .peerCertificate)
        #expect(error.description.contains("hostname mismatch"))
    }

    @Test("a server whose minimum is 1.3 refuses a client that stops at 1.2")
    func versionFloor() throws {
        let client = try TLSContext.client(caFile: TestCertificates.path("ca.pem"), maximumVersion: .tls12)
        let pair = try TLSPair(client: client, server: Self.serverContext(minimum: .tls13))
        let error = try #require(throws: TLSError.self) { try pair.handshake() }
        #expect(error.failure == .protocolVersion)
    }

    @Test("plain bytes where a ClientHello belongs fail as not TLS")
    func notTLS() throws {
        let server = try TLSSession(context: Self.serverContext())
        let plain: [UInt8] = [0, 0, 0, 4, 1, 1, 1, 0x61] + [UInt8](repeating: 0, count: 64)
        plain.withUnsafeBytes { server.receiveCiphertext($0) }
        let error = try #require(throws: TLSError.self) { _ = try server.advanceHandshake() }
        #expect(error.failure == .notTLS)
    }

    @Test("half a ClientHello leaves the server waiting, without failing")
    func halfHello() throws {
        let client = try TLSSession(context: Self.clientContext(), serverName: "localhost")
        let server = try TLSSession(context: Self.serverContext())
        _ = try client.advanceHandshake()
        var hello: [UInt8] = []
        client.takeCiphertext(appendingTo: &hello)
        hello.prefix(hello.count / 2).withUnsafeBytes { server.receiveCiphertext(UnsafeRawBufferPointer($0)) }
        #expect(try server.advanceHandshake() == .needsMoreInput)
        #expect(!server.hasCiphertextToSend)
    }

    @Test("close_notify ends the plaintext stream")
    func closeNotify() throws {
        let pair = try TLSPair(client: Self.clientContext(), server: Self.serverContext())
        try pair.handshake()
        pair.client.close()
        TLSPair.pass(from: pair.client, to: pair.server)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try pair.server.readPlaintext(into: $0) } == .closed)
    }
}
