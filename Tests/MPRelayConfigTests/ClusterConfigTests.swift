import MPRelayConfig
import MPRelayNATS
import Testing

/// The `[cluster]` table: absent means no cluster; node ids and cluster names that are NATS
/// subject tokens; a required server list; credentials from files only their owner may read;
/// bounded lease and timeouts; and a reload that refuses any change. TLS to NATS: in
/// ClusterTLSConfigTests.swift.
@Suite("Cluster config")
struct ClusterConfigTests {
    let endpoint = """
        [[endpoint]]
        address = "127.0.0.1:6000"
        authkey = "k"
        """

    func parse(_ cluster: String, hostName: String = "relay-1.example.net") throws(ConfigError) -> Configuration {
        var loader = ConfigLoader(environment: [:])
        loader.hostName = hostName
        return try loader.parse("[cluster]\n\(cluster)\n\(endpoint)\n", file: "test.toml")
    }

    func cluster(_ text: String, hostName: String = "relay-1.example.net") throws -> ClusterConfig {
        try #require(try parse(text, hostName: hostName).cluster)
    }

    func expectError(
        _ cluster: String,
        key: String,
        containing fragment: String,
        hostName: String = "relay-1.example.net",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        expectConfigError(key: key, containing: fragment, sourceLocation: sourceLocation) { () throws(ConfigError) in
            _ = try parse(cluster, hostName: hostName)
        }
    }

    @Test func withoutTheTableThereIsNoCluster() throws {
        let configuration = try ConfigLoader(environment: [:]).parse(endpoint, file: "test.toml")
        #expect(configuration.cluster == nil)
        #expect(!configuration.warnings.contains { $0.key == "cluster" })
    }

    @Test func defaultsTakeTheShortHostNameAndTheDocumentedBounds() throws {
        let configuration = try parse("nats = [\"nats://127.0.0.1:4222\", \"10.0.0.2\"]")
        let cluster = try #require(configuration.cluster)
        #expect(cluster.node == "relay-1")
        #expect(cluster.name == "mprelay")
        #expect(cluster.nats == [try NATSServerAddress("nats://127.0.0.1:4222"), try NATSServerAddress("nats://10.0.0.2:4222")])
        #expect(cluster.credentials == .none)
        #expect(cluster.nameLease == 10.0)
        #expect(cluster.natsTimeout == 2.0)
        #expect(!configuration.warnings.contains { $0.key == "cluster" })
    }

    @Test func everyKeyIsRead() throws {
        let cluster = try cluster("""
            node = "a_1"
            name = "prod-eu"
            nats = ["nats://[::1]:4223"]
            name_lease = 3
            nats_timeout = 0.5
            max_pending_bytes = 65536
            """)
        #expect(cluster.node == "a_1")
        #expect(cluster.nats.map(\.description) == ["nats://[::1]:4223"])
        #expect(cluster.nameLease == 3.0)
        #expect(cluster.natsTimeout == 0.5)
        #expect(cluster.maxPendingBytes == 65_536)
    }

    @Test func nodeIdsAndClusterNamesAreSubjectTokens() {
        let nats = "nats = [\"nats://127.0.0.1:4222\"]"
        expectError("node = \"a.b\"\n\(nats)", key: "cluster.node", containing: "\"a.b\" is not a node id: expected 1 to 64 bytes of A-Z a-z 0-9 _ -")
        expectError("node = \"\"\n\(nats)", key: "cluster.node", containing: "is not a node id")
        expectError("node = \"*\"\n\(nats)", key: "cluster.node", containing: "is not a node id")
        expectError("node = \"\(String(repeating: "n", count: 65))\"\n\(nats)", key: "cluster.node", containing: "is not a node id")
        expectError("name = \"a b\"\n\(nats)", key: "cluster.name", containing: "is not a cluster name")
        expectError("name = \">\"\n\(nats)", key: "cluster.name", containing: "is not a cluster name")
        expectError(nats, key: "cluster.node", containing: "the host name \"bad host\" is not a node id", hostName: "bad host")
        #expect(throws: Never.self) { _ = try parse("node = \"n1\"\n\(nats)", hostName: "bad host") }
    }

    @Test func theServerListIsRequiredAndChecked() {
        expectError("", key: "cluster.nats", containing: "no NATS server: list one or more")
        expectError("nats = []", key: "cluster.nats", containing: "0 servers: expected 1 to 16")
        expectError("nats = \"nats://127.0.0.1:4222\"", key: "cluster.nats", containing: "expected an array of nats://host:port or tls://host:port URLs")
        expectError("nats = [\"nats://h:99999\"]", key: "cluster.nats[1]", containing: "\"nats://h:99999\" is not a NATS server URL")
        expectError("nats = [\"h:4222\", \"nats://h\"]", key: "cluster.nats[2]", containing: "nats://h:4222 is listed twice")
        expectError("nats = [4222]", key: "cluster.nats[1]", containing: "expected a string, got an integer")
        let seventeen = (1...17).map { "\"h\($0)\"" }.joined(separator: ", ")
        expectError("nats = [\(seventeen)]", key: "cluster.nats", containing: "17 servers: expected 1 to 16")
    }

    @Test func boundsAreEnforced() {
        let nats = "nats = [\"nats://127.0.0.1:4222\"]"
        expectError("name_lease = 0.5\n\(nats)", key: "cluster.name_lease", containing: "expected 1.0 to 300.0 seconds")
        expectError("name_lease = 301\n\(nats)", key: "cluster.name_lease", containing: "out of range")
        expectError("nats_timeout = 0.01\n\(nats)", key: "cluster.nats_timeout", containing: "expected 0.1 to 60.0 seconds")
        expectError("max_pending_bytes = 1024\n\(nats)", key: "cluster.max_pending_bytes", containing: "expected 65536 to 4294967296")
        expectError("lease = 5\n\(nats)", key: "cluster.lease", containing: "unknown key: expected one of node, name, nats, nats_user")
    }

    @Test func credentialsComeFromFilesOnlyTheirOwnerReads() throws {
        let directory = TemporaryDirectory()
        let nats = "nats = [\"nats://127.0.0.1:4222\"]"
        let password = directory.write("password", "s3cret pass\n")
        let withPassword = try cluster("\(nats)\nnats_user = \"relay\"\nnats_password_file = \"\(password)\"")
        #expect(withPassword.credentials == .userPassword(user: "relay", password: "s3cret pass"))
        #expect(withPassword.passwordFile == password)
        let token = directory.write("token", "t0ken")
        #expect(try cluster("\(nats)\nnats_token_file = \"\(token)\"").credentials == .token("t0ken"))

        let shared = directory.write("shared", "t0ken", mode: 0o644)
        expectError("\(nats)\nnats_token_file = \"\(shared)\"", key: "cluster.nats_token_file", containing: "token file \(shared) is open to other users (mode 644): chmod 600 it")
        let empty = directory.write("empty", "\n")
        expectError("\(nats)\nnats_token_file = \"\(empty)\"", key: "cluster.nats_token_file", containing: "the token file \(empty) is empty")
        let control = directory.write("control", "a\u{1}b")
        expectError("\(nats)\nnats_token_file = \"\(control)\"", key: "cluster.nats_token_file", containing: "must be UTF-8 text without control characters")
        let long = directory.write("long", String(repeating: "x", count: 4_097))
        expectError("\(nats)\nnats_token_file = \"\(long)\"", key: "cluster.nats_token_file", containing: "longer than 4096 bytes")
        expectError("\(nats)\nnats_token_file = \"\(directory.path)\"", key: "cluster.nats_token_file", containing: "cannot read the token from \(directory.path): it is a directory")
        expectError("\(nats)\nnats_user = \"relay\"", key: "cluster.nats_user", containing: "nats_user and nats_password_file go together")
        expectError("\(nats)\nnats_password_file = \"\(password)\"", key: "cluster.nats_password_file", containing: "go together")
        expectError(
            "\(nats)\nnats_user = \"relay\"\nnats_password_file = \"\(password)\"\nnats_token_file = \"\(token)\"",
            key: "cluster.nats_token_file",
            containing: "set nats_token_file or nats_user with nats_password_file, not both"
        )
    }

    @Test func errorsNameFileLineColumnAndKey() {
        do {
            _ = try parse("nats = [\"nats://127.0.0.1:4222\"]\nname_lease = 0")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "test.toml:3:1: cluster.name_lease: 0.0 is out of range: expected 1.0 to 300.0 seconds")
        }
    }

    @Test func aReloadRefusesAnyChangeOfTheTable() throws {
        let running = try cluster("nats = [\"nats://127.0.0.1:4222\"]")
        #expect(ClusterConfig.reloadRefusal(running: nil, new: nil) == nil)
        #expect(ClusterConfig.reloadRefusal(running: running, new: running) == nil)
        #expect(ClusterConfig.reloadRefusal(running: nil, new: running) == "[cluster] was added: joining a cluster needs a restart")
        #expect(ClusterConfig.reloadRefusal(running: running, new: nil) == "[cluster] was removed: leaving the cluster needs a restart")
        var moved = running
        moved.node = "relay-2"
        moved.nats.append(try NATSServerAddress("nats://127.0.0.1:4223"))
        #expect(
            ClusterConfig.reloadRefusal(running: running, new: moved)
                == "cluster.node, cluster.nats changed: a [cluster] change needs a restart"
        )
        var leased = running
        leased.nameLease = 5
        #expect(ClusterConfig.reloadRefusal(running: running, new: leased)?.hasPrefix("cluster.name_lease changed") == true)
    }
}
