import MPRelayTLS
import Testing

@Suite("TLS contexts: files that do not load fail closed, naming the file")
struct TLSContextTests {
    static func server(_ certificate: String, _ key: String, ca: String? = nil) throws -> TLSContext {
        try TLSContext.server(
            certificateFile: TestCertificates.path(certificate),
            keyFile: TestCertificates.path(key),
            clientCAFile: ca.map { try TestCertificates.path($0) }
        )
    }

    @Test("a good certificate and key load")
    func loads() throws {
        let context = try Self.server("server.pem", "server.key", ca: "ca.pem")
        #expect(context.requiresClientCertificate)
        #expect(context.minimumVersion == .tls12)
    }

    @Test("a key that does not match the certificate", arguments: ["other.key", "client.key"])
    func keyMismatch(key: String) throws {
        let error = try #require(throws: TLSError.self) { try Self.server("server.pem", key) }
        #expect(error.code == .keyMismatch)
        #expect(error.description.contains(key))
    }

    @Test("an expired or not yet valid server certificate", arguments: ["expired-server.pem", "future-server.pem"])
    func notCurrentlyValid(certificate: String) throws {
        let error = try #require(throws: TLSError.self) { try Self.server(certificate, "server.key") }
        #expect(error.code == .certificateNotCurrentlyValid)
        #expect(error.description.contains(certificate))
    }

    @Test("a missing or unparsable file names itself")
    func unreadable() throws {
        for (certificate, key, ca) in [("missing.pem", "server.key", nil), ("server.key", "server.key", nil), ("server.pem", "missing.key", nil), ("server.pem", "server.key", "missing-ca.pem")] as [(String, String, String?)] {
            let error = try #require(throws: TLSError.self) { try Self.server(certificate, key, ca: ca) }
            #expect(error.code == .unreadableFile)
            let named = [certificate, key, ca].compactMap { $0 }.first { $0.hasPrefix("missing") || $0 == "server.key" && certificate == "server.key" }
            #expect(error.description.contains(try #require(named)))
        }
    }
}
