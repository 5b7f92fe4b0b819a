import MPRelayConfig
import Testing

/// The `[control]` table: every key read, names resolved at load, mistakes named by key.
@Suite("Control config")
struct ControlConfigTests {
    private let endpoint = """
        [[endpoint]]
        address = "127.0.0.1:6000"
        authkey = "k"
        """

    private func parse(_ control: String) throws(ConfigError) -> ControlConfig {
        try ConfigLoader(environment: [:]).parse("[control]\n\(control)\n\(endpoint)\n", file: "test.toml").control
    }

    private func expectError(_ control: String, key: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(control)
            Issue.record("expected an error for \(key)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.key == key, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func withoutTheTableEveryDefaultHolds() throws {
        let configuration = try ConfigLoader(environment: [:]).parse(endpoint, file: "test.toml")
        #expect(configuration.control == ControlConfig())
        #expect(configuration.control.enabled)
        #expect(configuration.control.socketPath(environment: ["RUNTIME_DIRECTORY": "/run/mprelay"]) == "/run/mprelay/control.sock")
        #expect(configuration.control.socketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"]) == "/run/user/1000/mprelay/control.sock")
    }

    @Test func everyKeyIsRead() throws {
        let control = try parse("""
            enabled = false
            socket = "/srv/relay/ctl.sock"
            mode = "0600"
            allow_users = [1000, "1001", "root"]
            allow_groups = ["root", 27]
            max_clients = 4
            max_request_bytes = 4096
            max_answer_bytes = 1048576
            client_timeout = 2.5
            """)
        #expect(!control.enabled)
        #expect(control.socketPath(environment: [:]) == "/srv/relay/ctl.sock")
        #expect(control.mode == 0o600)
        #expect(control.allowUsers == [1000, 1001, 0])
        #expect(control.allowGroups == [0, 27])
        #expect(control.maxClients == 4)
        #expect(control.maxRequestBytes == 4_096)
        #expect(control.maxAnswerBytes == 1_048_576)
        #expect(control.clientTimeout == 2.5)
    }

    @Test func mistakesNameTheKey() {
        expectError("colour = 1", key: "control.colour", containing: "expected one of enabled, socket, mode")
        expectError("socket = \"relative.sock\"", key: "control.socket", containing: "not an absolute path")
        expectError("socket = \"/\(String(repeating: "d", count: 120))\"", key: "control.socket", containing: "at most 107")
        expectError("allow_users = \"root\"", key: "control.allow_users", containing: "expected an array of user names or ids")
        expectError("allow_users = [\"no-such-user-here\"]", key: "control.allow_users[1]", containing: "no user named \"no-such-user-here\"")
        expectError("allow_groups = [1, \"no-such-group-here\"]", key: "control.allow_groups[2]", containing: "no group named")
        expectError("allow_users = [-1]", key: "control.allow_users[1]", containing: "out of range")
        expectError("allow_users = [true]", key: "control.allow_users[1]", containing: "got a boolean")
        expectError("max_clients = 0", key: "control.max_clients", containing: "expected 1 to 1024")
        expectError("client_timeout = \"10\"", key: "control.client_timeout", containing: "a number of seconds")
        expectError("mode = 0o1777", key: "control.mode", containing: "out of range")
    }
}
