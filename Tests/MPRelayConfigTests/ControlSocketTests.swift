import Glibc
import MPRelayConfig
import MPRelayConfigFile
import Testing

/// Where the control socket is: the default in the runtime directory, `[control] socket` read
/// from a file the way mprelayctl reads it, and the daemon's loader agreeing with it.
@Suite("Control socket")
struct ControlSocketTests {
    private let environment = ["RUNTIME_DIRECTORY": "/run/relay"]

    /// The error `ControlSocket.path(configuredIn:)` gives for a file holding `text`, or nil.
    private func error(_ text: String, in directory: TemporaryDirectory) -> ConfigError? {
        let file = directory.write("mprelay.toml", text)
        do {
            _ = try ControlSocket.path(configuredIn: file, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func theDefaultIsControlSockInTheRuntimeDirectory() {
        #expect(ControlSocket.defaultPath(environment: ["RUNTIME_DIRECTORY": "/run/a:/run/b"]) == "/run/a/control.sock")
        #expect(ControlSocket.defaultPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"]) == "/run/user/1000/mprelay/control.sock")
        let fallback = getuid() == 0 ? "/run/mprelay" : "/tmp/mprelay-\(getuid())"
        #expect(ControlSocket.defaultPath(environment: ["RUNTIME_DIRECTORY": "", "XDG_RUNTIME_DIR": ""]) == fallback + "/control.sock")
        #expect(ControlSocket.packagedPath == "/run/mprelay/control.sock")
    }

    @Test func onlyTheSocketKeyOfTheFileIsRead() throws {
        let directory = TemporaryDirectory()
        // Neither the key file, nor the user, nor the limit would pass the daemon's checks.
        let file = directory.write("mprelay.toml", """
            [control]
            socket = "/srv/ctl.sock"
            allow_users = ["no-such-user-here"]
            max_clients = 0

            [[endpoint]]
            address = "127.0.0.1:1"
            authkey_file = "/nonexistent"
            """)
        #expect(try ControlSocket.path(configuredIn: file, environment: environment) == "/srv/ctl.sock")
        for text in ["[broker]\nmax_connections = 0\n", "[control]\nmode = 0o600\n", ""] {
            let other = directory.write("other.toml", text)
            #expect(try ControlSocket.path(configuredIn: other, environment: environment) == "/run/relay/control.sock")
        }
    }

    @Test func anUnreadableOrMalformedFileIsNamed() {
        let directory = TemporaryDirectory()
        let missing = directory.path + "/missing.toml"
        #expect(throws: ConfigError(file: missing, key: "", message: "cannot read the configuration: open: No such file or directory")) {
            try ControlSocket.path(configuredIn: missing, environment: environment)
        }
        #expect(throws: ConfigError.self) { try ControlSocket.path(configuredIn: directory.path, environment: environment) }
        let syntax = error("[control]\nsocket = \n", in: directory)
        #expect(syntax?.file == directory.path + "/mprelay.toml" && syntax?.line == 2 && syntax?.key == "", "\(String(describing: syntax))")
    }

    @Test func aBadControlTableOrSocketNamesTheKeyAndPlace() {
        let directory = TemporaryDirectory()
        let file = directory.path + "/mprelay.toml"
        let cases: [(text: String, key: String, line: Int, column: Int, fragment: String)] = [
            ("control = 5\n", "control", 1, 1, "expected a table, got an integer"),
            ("[control]\n\n  socket = 5\n", "control.socket", 3, 3, "expected a string, got an integer"),
            ("[control]\nsocket = \"relative.sock\"\n", "control.socket", 2, 1, "not an absolute path"),
            ("[control]\nsocket = \"/\(String(repeating: "d", count: 120))\"\n", "control.socket", 2, 1, "AF_UNIX allows at most 107"),
            ("[control]\nsocket = \"/run/a\\u0000b\"\n", "control.socket", 2, 1, "NUL character"),
        ]
        for (text, key, line, column, fragment) in cases {
            let failure = error(text, in: directory)
            #expect(failure?.file == file && failure?.key == key, "\(text): \(String(describing: failure))")
            #expect(failure?.line == line && failure?.column == column, "\(text): \(String(describing: failure))")
            #expect(failure?.message.contains(fragment) == true, "\(text): \(String(describing: failure))")
        }
    }

    @Test func theDaemonFindsTheSameSocketAndRefusesTheSameValues() throws {
        let directory = TemporaryDirectory()
        let loader = ConfigLoader(environment: environment)
        let endpoint = "[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey = \"k\"\n"
        for control in ["", "[control]\nsocket = \"/srv/relay/ctl.sock\"\n", "[control]\nenabled = true\n"] {
            let file = directory.write("mprelay.toml", control + endpoint)
            let daemon = try loader.load(path: file).control.socketPath(environment: environment)
            #expect(try ControlSocket.path(configuredIn: file, environment: environment) == daemon)
        }
        for socket in ["5", "\"relative.sock\"", "\"/\(String(repeating: "d", count: 120))\""] {
            let text = "[control]\nsocket = \(socket)\n" + endpoint
            let refusal = try #require(error(text, in: directory), "mprelayctl accepted socket = \(socket)")
            #expect(throws: refusal) { try loader.load(path: directory.path + "/mprelay.toml") }
        }
    }
}
