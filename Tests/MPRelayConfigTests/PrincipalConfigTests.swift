import MPRelayConfig
import MPRelayProtocol
import Testing

@Suite("Principals")
struct PrincipalConfigTests {
    private let loader = ConfigLoader(environment: [:])

    private func parse(_ text: String) throws(ConfigError) -> Configuration {
        try loader.parse(text, file: "test.toml")
    }

    private let principals = """
        [[principal]]
        name = "workers"
        authkey = ["old-key", "new-key"]
        may_register = ["worker-*"]
        may_send_to = ["coordinator", "worker-*"]
        may_list = true
        max_connections = 500
        max_names = 400
        on_name_conflict = "replace"

        [[principal]]
        name = "coordinator"
        authkey = "coordinator-key"
        may_register = ["coordinator"]

        """

    @Test func endpointsNamePrincipalsAndTheirRules() throws {
        let config = try parse(principals + """
            [[endpoint]]
            address = "127.0.0.1:6000"
            principals = ["workers", "coordinator"]
            min_digest = "sha256"
            """)
        let endpoint = config.endpoints[0]
        #expect(endpoint.minimumDigest == .sha256)
        #expect(endpoint.principals.map(\.name) == ["workers", "coordinator"])
        let workers = endpoint.principals[0]
        #expect(workers.keys.map(\.bytes) == [Array("old-key".utf8), Array("new-key".utf8)])
        #expect(workers.mayRegister == ["worker-*"])
        #expect(workers.maySendTo == ["coordinator", "worker-*"])
        #expect(workers.mayList)
        #expect(workers.maxConnections == 500)
        #expect(workers.maxNames == 400)
        #expect(workers.onNameConflict == .replace)
        let coordinator = endpoint.principals[1]
        #expect(coordinator.maySendTo.isEmpty, "deny by default: no may_send_to reaches nobody")
        #expect(!coordinator.mayList)
        #expect(coordinator.onNameConflict == .reject)
    }

    @Test func aBareKeyIsAnImplicitPrincipalThatMayDoEverything() throws {
        let config = try parse("[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey = \"k\"")
        let implicit = config.endpoints[0].principals[0]
        #expect(implicit.isImplicit)
        #expect(implicit.mayRegister == ["*"] && implicit.maySendTo == ["*"] && implicit.mayList)
    }

    private func expectError(_ text: String, key: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(text)
            Issue.record("expected an error for \(key)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.key == key, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func mistakesNameTheKey() {
        let endpoint = "[[endpoint]]\naddress = \"127.0.0.1:1\"\n"
        expectError(principals + endpoint + "principals = [\"nobody\"]", key: "endpoint[1].principals", containing: "no [[principal]] is named \"nobody\"")
        expectError(principals + endpoint + "principals = [\"workers\"]\nauthkey = \"k\"", key: "endpoint[1].principals", containing: "not both")
        expectError(principals + endpoint + "principals = []", key: "endpoint[1].principals", containing: "at least one")
        expectError(principals + endpoint + "principals = [\"workers\", \"workers\"]", key: "endpoint[1].principals", containing: "twice")
        expectError(principals + endpoint + "principals = [\"workers\"]\nmin_digest = \"sha1\"", key: "endpoint[1].min_digest", containing: "sha256")
        expectError("[[principal]]\nname = \"p\"\nauthkey = \"k\"\n" + endpoint + "authkey = \"k\"", key: "principal[1].may_register", containing: "missing")
        expectError("[[principal]]\nname = \"p\"\nauthkey = [\"a\", \"b\", \"c\"]\nmay_register = [\"*\"]\n" + endpoint + "authkey = \"k\"", key: "principal[1].authkey", containing: "two")
        expectError("[[principal]]\nname = \"p\"\nauthkey = \"k\"\nmay_register = [\"*\"]\non_name_conflict = \"steal\"\n" + endpoint + "authkey = \"k\"", key: "principal[1].on_name_conflict", containing: "reject")
        expectError("[[principal]]\nname = \"p\"\nauthkey = \"k\"\nmay_register = [\"*\"]\nmay_lists = true\n" + endpoint + "authkey = \"k\"", key: "principal[1].may_lists", containing: "unknown key")
        expectError(principals + "[[principal]]\nname = \"workers\"\nauthkey = \"k\"\nmay_register = [\"*\"]\n" + endpoint + "authkey = \"k\"", key: "principal[3].name", containing: "already named")
        expectError(endpoint + "authkey = [\"a\", \"b\"]", key: "endpoint[1].authkey", containing: "expected a string")
    }
}
