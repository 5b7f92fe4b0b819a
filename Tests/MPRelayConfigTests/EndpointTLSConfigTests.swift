import MPRelayConfig
import MPRelayTLS
import Testing

/// The `tls_*` keys of an `[[endpoint]]` table: the files they name and the oldest version, as
/// the daemon loads them, and the mistakes refused with the key named.
@Suite("Endpoint TLS keys")
struct EndpointTLSConfigTests {
    let directory = TemporaryDirectory()
    let loader = ConfigLoader(environment: [:])

    private func endpoint(_ tls: String) throws(ConfigError) -> EndpointConfig {
        let text = """
            [[endpoint]]
            address = "127.0.0.1:6000"
            authkey = "k"
            \(tls)
            """
        return try loader.parse(text, file: "test.toml").endpoints[0]
    }

    @Test func theKeysNameTheFilesAndTheOldestVersion() throws {
        let certificate = directory.write("server.pem", "certificate", mode: 0o644)
        let key = directory.write("server.key", "key")
        let ca = directory.write("ca.pem", "ca", mode: 0o644)
        let tls = try endpoint("""
            tls_cert_file = "\(certificate)"
            tls_key_file = "\(key)"
            tls_client_ca_file = "\(ca)"
            tls_min_version = "1.3"
            """)
        #expect(tls.tls == TLSServerFiles(certificateFile: certificate, keyFile: key, clientCAFile: ca, minimumVersion: .tls13))
        let defaults = try endpoint("tls_cert_file = \"\(certificate)\"\ntls_key_file = \"\(key)\"")
        #expect(defaults.tls == TLSServerFiles(certificateFile: certificate, keyFile: key))
        #expect(defaults.tls?.minimumVersion == .tls12)
        #expect(try endpoint("").tls == nil)
    }

    @Test func anUnknownVersionIsRefusedWithItsKey() {
        let certificate = directory.write("server.pem", "certificate", mode: 0o644)
        let key = directory.write("server.key", "key")
        do {
            _ = try endpoint("tls_cert_file = \"\(certificate)\"\ntls_key_file = \"\(key)\"\ntls_min_version = \"1.1\"")
            Issue.record("tls_min_version = \"1.1\" was accepted")
        } catch {
            #expect(error.key == "endpoint[1].tls_min_version")
            #expect(error.message.contains("expected \"1.2\" or \"1.3\""), "message: \(error.message)")
        }
    }
}
