import Dispatch
import Glibc
import MPRelayNATS
import NATSTestSupport
import MPRelayTLS
import Testing

extension NATSClusterTests {
    /// A single nats-server with TLS required, on the certificates of
    /// `Tests/fixtures/make-test-certificates.sh` (server certificate for `localhost` and
    /// 127.0.0.1), beside a plain one.
    @Suite("NATSConnection: TLS with nats-server")
    struct TLSTests {
        let certificates: String
        let secure: NATSServerProcess
        let queue = DispatchQueue(label: "test.tls")

        init() throws {
            certificates = try TestCertificates.directory.get()
            secure = NATSServerProcess(name: "tls", port: NATSServerProcess.freePort(), arguments: [
                "--tls", "--tlscert", "\(certificates)/server.pem", "--tlskey", "\(certificates)/server.key",
            ])
            try secure.start()
        }

        private func options(_ url: String, ca: String? = "ca.pem") throws -> NATSConnectionOptions {
            var options = try NATSConnectionOptions(urls: [url])
            options.connectTimeout = .seconds(2)
            options.maxReconnectRounds = 1
            if let ca { options.tls = try TLSContext.client(caFile: "\(certificates)/\(ca)") }
            return options
        }

        /// The connection's failure, which must be thrown.
        /// Why connecting with `options` failed, checked to be a refusal that trying again
        /// cannot change (what makes mprelayd give up joining at once).
        private func refusal(_ options: NATSConnectionOptions) -> String {
            do {
                let connection = try NATSConnection(options: options)
                connection.close()
                return "connected"
            } catch {
                #expect(error.isPermanent, "\(error)")
                return error.description
            }
        }

        @Test("tls:// and nats:// URLs both speak TLS with a server that requires it; messages flow both ways")
        func roundTrip() throws {
            defer { secure.stop() }
            let subscriber = try NATSConnection(options: options("tls://localhost:\(secure.port)"))
            let publisher = try NATSConnection(options: options("nats://127.0.0.1:\(secure.port)"))
            defer { subscriber.close(); publisher.close() }
            #expect(subscriber.serverInfo.tlsRequired && publisher.serverInfo.tlsRequired)
            let received = Collector<NATSMessage>()
            _ = try subscriber.subscribe(to: "secure.>", on: queue) { received.append($0) }
            try subscriber.flush()
            let large = [UInt8]((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            for index in 0..<50 { try publisher.publish("secure.\(index)", payload: Array("message \(index)".utf8)) }
            try publisher.publish("secure.large", payload: large)
            let messages = received.wait(count: 51)
            #expect(messages.prefix(50).map { String(decoding: $0.payload, as: UTF8.self) } == (0..<50).map { "message \($0)" })
            #expect(messages.last?.payload == large)
            #expect(throws: NATSError.noResponders(subject: "nobody.listens")) {
                try publisher.request("nobody.listens", payload: [1], timeout: .seconds(2))
            }
        }

        @Test("refused: no TLS context, an untrusted CA, a name the certificate does not carry, TLS asked of a plain server")
        func refusals() throws {
            defer { secure.stop() }
            let url = "nats://127.0.0.1:\(secure.port)"
            #expect(refusal(try options(url, ca: nil)).contains("the server requires TLS"))
            #expect(refusal(try options(url, ca: "rogue-ca.pem")).contains("certificate verify failed"))
            var misnamed = try options(url)
            misnamed.tlsServerName = "elsewhere.example"
            #expect(refusal(misnamed).contains("hostname mismatch"))
            let plain = NATSServerProcess(name: "plain", port: NATSServerProcess.freePort(), arguments: [])
            try plain.start()
            defer { plain.stop() }
            #expect(refusal(try options("tls://127.0.0.1:\(plain.port)")).contains("the server does not offer TLS"))
            #expect(refusal(try options("nats://127.0.0.1:\(plain.port)")).contains("the server does not offer TLS"))
            let connection = try NATSConnection(options: options("nats://127.0.0.1:\(plain.port)", ca: nil))
            #expect(!connection.serverInfo.tlsRequired)
            connection.close()
        }
    }
}
