import Foundation
import MPRelayCommon
import MPRelayConfig
import MPRelayNATS
import Testing

@Suite("Config loader")
struct ConfigLoaderTests {
    let loader = ConfigLoader(environment: [:])

    private func parse(_ text: String) throws(ConfigError) -> Configuration {
        try loader.parse(text, file: "test.toml")
    }

    private func expectError(_ text: String, key: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(text)
            Issue.record("expected an error for key \(key)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.file == "test.toml", sourceLocation: sourceLocation)
            #expect(error.key == key, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    private let endpoint = """
        [[endpoint]]
        address = "127.0.0.1:6000"
        authkey = "k"
        """

    @Test func minimalConfigTakesEveryDefault() throws {
        let config = try parse(endpoint)
        #expect(config.broker == BrokerConfig())
        #expect(config.endpoints.count == 1)
        #expect(config.endpoints[0].address == .inet(host: "127.0.0.1", port: 6000))
        #expect(config.endpoints[0].principals[0].keys[0].bytes == Array("k".utf8))
        #expect(config.warnings.map(\.key) == ["endpoint[1].authkey"])
    }

    @Test func everyBrokerKeyIsRead() throws {
        let config = try parse("""
            [broker]
            log_level = "debug"
            max_message_bytes = 1024
            handshake_timeout = 2
            max_connections = 5
            max_handshakes = 3
            allow_legacy_md5 = false
            max_outbound_bytes = 65536
            idle_timeout = 1.5
            drain_timeout = 0
            \(endpoint)
            """)
        #expect(config.broker.logLevel == .debug)
        #expect(config.broker.maxMessageBytes == 1024)
        #expect(config.broker.handshakeTimeout == 2)
        #expect(config.broker.maxConnections == 5)
        #expect(config.broker.maxHandshakes == 3)
        #expect(config.broker.allowLegacyMD5 == false)
        #expect(config.broker.maxOutboundBytes == 65536)
        #expect(config.broker.idleTimeout == 1.5)
        #expect(config.broker.drainTimeout == 0)
    }

    @Test func unknownKeysAreErrors() {
        expectError("[broker]\nmax_mesage_bytes = 1\n\(endpoint)", key: "broker.max_mesage_bytes", containing: "unknown key")
        expectError("[brokers]\n\(endpoint)", key: "brokers", containing: "unknown table")
        expectError("[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey = \"k\"\nport = 3", key: "endpoint[1].port", containing: "unknown key")
    }

    @Test func wrongTypesNameTheExpectedType() {
        expectError("[broker]\nmax_message_bytes = \"big\"\n\(endpoint)", key: "broker.max_message_bytes", containing: "expected an integer, got a string")
        expectError("[broker]\nallow_legacy_md5 = 1\n\(endpoint)", key: "broker.allow_legacy_md5", containing: "expected true or false")
        expectError("[broker]\nhandshake_timeout = \"10\"\n\(endpoint)", key: "broker.handshake_timeout", containing: "number of seconds")
        expectError("[[endpoint]]\naddress = 6000\nauthkey = \"k\"", key: "endpoint[1].address", containing: "expected a string")
        expectError("broker = 3\n\(endpoint)", key: "broker", containing: "expected a table")
    }

    @Test func outOfRangeValuesNameTheBounds() {
        expectError("[broker]\nmax_message_bytes = 0\n\(endpoint)", key: "broker.max_message_bytes", containing: "expected 1 to 1073741824")
        expectError("[broker]\nhandshake_timeout = 0.01\n\(endpoint)", key: "broker.handshake_timeout", containing: "out of range")
        expectError("[broker]\nlog_level = \"verbose\"\n\(endpoint)", key: "broker.log_level", containing: "subdebug, debug")
        expectError("[broker]\nmax_outbound_bytes = 65536\n\(endpoint)", key: "broker.max_outbound_bytes", containing: "max_message_bytes + 279")
        expectError("[[endpoint]]\naddress = \"127.0.0.1:70000\"\nauthkey = \"k\"", key: "endpoint[1].address", containing: "0 to 65535")
    }

    @Test func syntaxErrorsGiveLineAndColumn() {
        expectError("[broker\nx = 1", key: "", containing: "expected ']'")
        #expect(throws: ConfigError(file: "test.toml", line: 1, column: 8, key: "", message: "expected ']' to end the table header, found the end of the line")) {
            try parse("[broker\nx = 1")
        }
    }

    @Test func endpointRules() {
        expectError("[broker]\nlog_level = \"info\"", key: "endpoint", containing: "no [[endpoint]]")
        expectError("[[endpoint]]\nauthkey = \"k\"", key: "endpoint[1].address", containing: "missing")
        expectError("[[endpoint]]\naddress = \"127.0.0.1:1\"", key: "endpoint[1]", containing: "no key")
        expectError(
            "[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey = \"k\"\nauthkey_file = \"/x\"",
            key: "endpoint[1]",
            containing: "only one"
        )
        expectError("\(endpoint)\n\(endpoint)", key: "endpoint[2].address", containing: "already the address of endpoint[1]")
        expectError("[[endpoint]]\naddress = \"\\\\\\\\.\\\\pipe\\\\x\"\nauthkey = \"k\"", key: "endpoint[1].address", containing: "Windows only")
        expectError("\(endpoint)\nmode = 0o600", key: "endpoint[1].mode", containing: "socket files only")
        expectError("[[endpoint]]\naddress = \"/run/x.sock\"\nauthkey = \"k\"\nmode = \"9\"", key: "endpoint[1].mode", containing: "octal")
    }

    @Test func socketFileModes() throws {
        let octal = try parse("[[endpoint]]\naddress = \"/run/x.sock\"\nauthkey = \"k\"\nmode = 0o600")
        #expect(octal.endpoints[0].mode == 0o600)
        let text = try parse("[[endpoint]]\naddress = \"/run/x.sock\"\nauthkey = \"k\"\nmode = \"0640\"")
        #expect(text.endpoints[0].mode == 0o640)
        let fallback = try parse("[[endpoint]]\naddress = \"/run/x.sock\"\nauthkey = \"k\"")
        #expect(fallback.endpoints[0].mode == 0o660)
    }

    @Test func keyFilesLoseOneTrailingNewlineAndWarnWhenOthersCanRead() throws {
        let directory = TemporaryDirectory()
        let privateKey = directory.write("private", "secret\n\n", mode: 0o600)
        let sharedKey = directory.write("shared", "secret", mode: 0o644)
        let config = try parse("""
            [[endpoint]]
            address = "127.0.0.1:1"
            authkey_file = "\(privateKey)"
            [[endpoint]]
            address = "127.0.0.1:2"
            authkey_file = "\(sharedKey)"
            """)
        #expect(config.endpoints[0].principals[0].keys[0].bytes == Array("secret\n".utf8))
        #expect(config.endpoints[1].principals[0].keys[0].bytes == Array("secret".utf8))
        #expect(config.warnings.map(\.key) == ["endpoint[2].authkey_file"])
        #expect(config.warnings[0].message.contains("readable by other users"))
        #expect(!config.endpoints[0].principals[0].keys[0].description.contains("secret"))
    }

    @Test func missingOrEmptyKeyFilesAreErrors() {
        let directory = TemporaryDirectory()
        let empty = directory.write("empty", "\n")
        expectError("[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey_file = \"\(directory.path)/none\"", key: "endpoint[1].authkey_file", containing: "cannot read")
        expectError("[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey_file = \"\(empty)\"", key: "endpoint[1].authkey_file", containing: "empty")
    }

    @Test func credentialsComeFromTheCredentialsDirectory() throws {
        let directory = TemporaryDirectory()
        _ = directory.write("authkey", "from-systemd\n")
        let text = "[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey_credential = \"authkey\""
        let config = try ConfigLoader(environment: ["CREDENTIALS_DIRECTORY": directory.path]).parse(text, file: "test.toml")
        #expect(config.endpoints[0].principals[0].keys[0].bytes == Array("from-systemd".utf8))
        #expect(config.endpoints[0].principals[0].keys[0].origin == "credential authkey")
        expectError(text, key: "endpoint[1].authkey_credential", containing: "CREDENTIALS_DIRECTORY")
    }

    @Test func theShippedExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = try String(contentsOf: root.appendingPathComponent("config/mprelay.toml"), encoding: .utf8)
        let directory = TemporaryDirectory()
        let key = directory.write("authkey", "k")
        let config = try parse(example.replacingOccurrences(of: "/etc/mprelay/authkey", with: key))
        #expect(config.endpoints.map(\.address.description) == ["127.0.0.1:6000", "/run/mprelay/mprelay.sock", "@mprelay"])
        #expect(config.warnings.isEmpty)
    }

    @Test func theShippedClusterNodeExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = try String(contentsOf: root.appendingPathComponent("config/cluster/node-a.toml"), encoding: .utf8)
        let directory = TemporaryDirectory()
        let key = directory.write("authkey", "k")
        let password = directory.write("nats-password", "a-long-nats-password")
        let text = example.replacingOccurrences(of: "/etc/mprelay/authkey", with: key)
            .replacingOccurrences(of: "/etc/mprelay/nats-password", with: password)
        let cluster = try #require(try parse(text).cluster)
        #expect(cluster.node == "relay-a" && cluster.name == "prod" && cluster.nats.count == 3)
        #expect(cluster.credentials == .userPassword(user: "mprelay-prod", password: "a-long-nats-password"))
    }
}
