import Foundation
import MPRelayConfig
import MPRelayNATS
import MPRelayTLS
import NATSTestSupport
import Testing

/// TLS to NATS: the `nats_tls_*` keys of `[cluster]`, loaded into a client context when the file
/// is read, every bad file refused with its key named, and a reload that refuses new contents.
extension ClusterConfigTests {
    /// The fixture certificates `names` copied into `directory` (mode 0600), so that a test may
    /// rewrite them: the copies' paths by name.
    private func certificates(in directory: TemporaryDirectory, _ names: [String]) throws -> [String: String] {
        var paths: [String: String] = [:]
        for name in names {
            let text = try String(contentsOfFile: try TestCertificates.path(name), encoding: .utf8)
            paths[name] = directory.write(name, text)
        }
        return paths
    }

    @Test func aCAFileTurnsOnTLSWithEveryServerAndAllowsTLSURLs() throws {
        let directory = TemporaryDirectory()
        let files = try certificates(in: directory, ["ca.pem", "client.pem", "client.key"])
        let ca = files["ca.pem"]!
        let plain = try cluster("nats = [\"nats://127.0.0.1:4222\"]")
        #expect(plain.tls == nil && plain.tlsCAFile == nil)

        let secured = try cluster("nats = [\"tls://127.0.0.1:4222\", \"nats://h2\"]\nnats_tls_ca_file = \"\(ca)\"")
        #expect(secured.nats.map(\.requiresTLS) == [true, false])
        #expect(secured.tlsCAFile == ca)
        #expect(try #require(secured.tls).context.role == .client)
        #expect(secured.tlsServerName == nil)

        let mutual = try cluster("""
            nats = ["tls://10.0.0.1:4222"]
            nats_tls_ca_file = "\(ca)"
            nats_tls_cert_file = "\(files["client.pem"]!)"
            nats_tls_key_file = "\(files["client.key"]!)"
            nats_tls_server_name = "nats.example.net"
            """)
        #expect(mutual.tlsCertificateFile == files["client.pem"] && mutual.tlsKeyFile == files["client.key"])
        #expect(mutual.tlsServerName == "nats.example.net")
        #expect(mutual.tls != nil)
    }

    @Test func theOtherTLSKeysAndTLSURLsNeedTheCA() throws {
        let directory = TemporaryDirectory()
        let files = try certificates(in: directory, ["ca.pem", "client.pem", "client.key"])
        let (ca, certificate, key) = (files["ca.pem"]!, files["client.pem"]!, files["client.key"]!)
        let nats = "nats = [\"nats://127.0.0.1:4222\"]"
        expectError("nats = [\"nats://h1\", \"tls://h2:4222\"]", key: "cluster.nats[2]", containing: "tls://h2:4222 asks for TLS: set nats_tls_ca_file")
        expectError("\(nats)\nnats_tls_server_name = \"h\"", key: "cluster.nats_tls_server_name", containing: "TLS to NATS needs nats_tls_ca_file")
        expectError(
            "\(nats)\nnats_tls_cert_file = \"\(certificate)\"\nnats_tls_key_file = \"\(key)\"",
            key: "cluster.nats_tls_cert_file",
            containing: "TLS to NATS needs nats_tls_ca_file"
        )
        expectError("\(nats)\nnats_tls_ca_file = \"\(ca)\"\nnats_tls_cert_file = \"\(certificate)\"", key: "cluster.nats_tls_cert_file", containing: "nats_tls_cert_file and nats_tls_key_file go together")
        expectError("\(nats)\nnats_tls_ca_file = \"\(ca)\"\nnats_tls_key_file = \"\(key)\"", key: "cluster.nats_tls_key_file", containing: "go together: set both or neither")
        expectError("\(nats)\nnats_tls_ca_file = \"\(ca)\"\nnats_tls_server_name = \"a b\"", key: "cluster.nats_tls_server_name", containing: "\"a b\" is not a host name or IP address")
        expectError("\(nats)\nnats_tls_ca_file = \"\(ca)\"\nnats_tls_server_name = \"\"", key: "cluster.nats_tls_server_name", containing: "expected 1 to 253 bytes")
        #expect(try cluster("\(nats)\nnats_tls_ca_file = \"\(ca)\"\nnats_tls_server_name = \"::1\"").tlsServerName == "::1")
    }

    @Test func everyBadFileIsRefusedWithItsKeyAndPath() throws {
        let directory = TemporaryDirectory()
        let files = try certificates(in: directory, ["ca.pem", "client.pem", "client.key", "other.key"])
        let (ca, certificate, key) = (files["ca.pem"]!, files["client.pem"]!, files["client.key"]!)
        let notPEM = directory.write("not-pem.txt", "hello\n")
        let missing = directory.path + "/missing.pem"
        let shared = directory.write("shared.key", try String(contentsOfFile: key, encoding: .utf8), mode: 0o640)
        func mutual(ca: String = ca, certificate: String = certificate, key: String = key) -> String {
            "nats = [\"tls://127.0.0.1:4222\"]\nnats_tls_ca_file = \"\(ca)\"\nnats_tls_cert_file = \"\(certificate)\"\nnats_tls_key_file = \"\(key)\""
        }
        expectError(mutual(ca: missing), key: "cluster.nats_tls_ca_file", containing: "cannot read \(missing)")
        expectError(mutual(ca: ""), key: "cluster.nats_tls_ca_file", containing: "the path is empty")
        expectError(mutual(ca: directory.path), key: "cluster.nats_tls_ca_file", containing: "cannot read \(directory.path): it is a directory")
        expectError(mutual(ca: notPEM), key: "cluster.nats_tls_ca_file", containing: "\(notPEM): not a readable PEM CA certificate")
        expectError(mutual(certificate: notPEM), key: "cluster.nats_tls_cert_file", containing: "\(notPEM): not a readable PEM certificate")
        expectError(mutual(key: notPEM), key: "cluster.nats_tls_key_file", containing: "\(notPEM): not a readable PEM private key")
        expectError(mutual(key: files["other.key"]!), key: "cluster.nats_tls_key_file", containing: "the private key does not match the certificate in \(certificate)")
        expectError(mutual(key: shared), key: "cluster.nats_tls_key_file", containing: "the private key file \(shared) is open to other users (mode 640): chmod 600 it")
        expectError(mutual(certificate: missing), key: "cluster.nats_tls_cert_file", containing: "cannot read \(missing)")
    }

    @Test func aReloadRefusesChangedTLSFilesTheirContentsIncluded() throws {
        let directory = TemporaryDirectory()
        let files = try certificates(in: directory, ["ca.pem", "rogue-ca.pem", "client.pem", "client.key", "expired-client.pem"])
        let (ca, certificate, key) = (files["ca.pem"]!, files["client.pem"]!, files["client.key"]!)
        let text = """
            nats = ["tls://127.0.0.1:4222"]
            nats_tls_ca_file = "\(ca)"
            nats_tls_cert_file = "\(certificate)"
            nats_tls_key_file = "\(key)"
            """
        let running = try cluster(text)
        #expect(ClusterConfig.reloadRefusal(running: running, new: try cluster(text)) == nil)

        let reissued = try String(contentsOfFile: files["expired-client.pem"]!, encoding: .utf8)
        _ = directory.write("client.pem", reissued)
        #expect(
            ClusterConfig.reloadRefusal(running: running, new: try cluster(text))
                == "cluster.nats_tls_cert_file changed: a [cluster] change needs a restart"
        )
        _ = directory.write("ca.pem", try String(contentsOfFile: files["rogue-ca.pem"]!, encoding: .utf8))
        #expect(ClusterConfig.reloadRefusal(running: running, new: try cluster(text))?.hasPrefix("cluster.nats_tls_ca_file, cluster.nats_tls_cert_file changed") == true)
        let plain = try cluster("nats = [\"nats://127.0.0.1:4222\"]")
        #expect(
            ClusterConfig.reloadRefusal(running: plain, new: try cluster("nats = [\"nats://127.0.0.1:4222\"]\nnats_tls_ca_file = \"\(ca)\""))
                == "cluster.nats_tls_ca_file changed: a [cluster] change needs a restart"
        )
        var named = running
        named.tlsServerName = "nats.example.net"
        #expect(ClusterConfig.reloadRefusal(running: running, new: named)?.hasPrefix("cluster.nats_tls_server_name changed") == true)
    }
}
