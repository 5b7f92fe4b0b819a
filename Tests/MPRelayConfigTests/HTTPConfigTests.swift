import MPRelayCommon
import MPRelayConfig
import Testing

/// The `[http]` table: off by default, TCP addresses only, loopback unless a token file is set,
/// token files that only their owner may read.
@Suite("HTTP config")
struct HTTPConfigTests {
    private let endpoint = """
        [[endpoint]]
        address = "127.0.0.1:6000"
        authkey = "k"
        """

    private func expectError(_ http: String, key: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectConfigError(key: key, containing: fragment, sourceLocation: sourceLocation) { () throws(ConfigError) in _ = try parse(http) }
    }

    private func parse(_ http: String) throws(ConfigError) -> HTTPConfig {
        try ConfigLoader(environment: [:]).parse("[http]\n\(http)\n\(endpoint)\n", file: "test.toml").http
    }

    @Test func withoutTheTableNothingListens() throws {
        let configuration = try ConfigLoader(environment: [:]).parse(endpoint, file: "test.toml")
        #expect(configuration.http == HTTPConfig())
        #expect(configuration.http.listen == nil)
        #expect(configuration.http.token == nil)
    }

    @Test func loopbackListensWithoutAToken() throws {
        #expect(try parse("listen = \"127.0.0.1:8222\"").listen == .inet(host: "127.0.0.1", port: 8222))
        #expect(try parse("listen = \"[::1]:0\"").listen == .inet6(host: "::1", port: 0))
        #expect(try parse("listen = \"localhost:8222\"").listen == .inet(host: "localhost", port: 8222))
    }

    @Test func anyOtherAddressNeedsATokenFile() throws {
        expectError("listen = \"0.0.0.0:8222\"", key: "http.listen", containing: "not a loopback address: set http.token_file")
        expectError("listen = \"[::]:8222\"", key: "http.listen", containing: "not a loopback address")
        let directory = TemporaryDirectory()
        let file = directory.write("token", "0123456789abcdef-token\n")
        let http = try parse("listen = \"0.0.0.0:8222\"\ntoken_file = \"\(file)\"")
        #expect(http.token == Array("0123456789abcdef-token".utf8))
        #expect(http.tokenFile == file)
    }

    @Test func onlyTCPAddressesAreTaken() {
        expectError("listen = \"/run/mprelay/http.sock\"", key: "http.listen", containing: "is not a TCP address")
        expectError("listen = \"@monitor\"", key: "http.listen", containing: "is not a TCP address")
        expectError("listen = \"127.0.0.1:70000\"", key: "http.listen", containing: "0 to 65535")
        expectError("listen = 8222", key: "http.listen", containing: "expected a string, got an integer")
        expectError("port = 8222", key: "http.port", containing: "unknown key: expected one of listen, token_file")
    }

    @Test func tokenFilesAreCheckedLikeKeyFiles() {
        let directory = TemporaryDirectory()
        let shared = directory.write("shared", "0123456789abcdef-token", mode: 0o640)
        expectError("token_file = \"\(shared)\"", key: "http.token_file", containing: "is open to other users (mode 640): chmod 600 it")
        let short = directory.write("short", "abc")
        expectError("token_file = \"\(short)\"", key: "http.token_file", containing: "is 3 bytes: expected 16 to 4096")
        let spaced = directory.write("spaced", "0123456789 abcdef")
        expectError("token_file = \"\(spaced)\"", key: "http.token_file", containing: "printable ASCII without spaces")
        expectError("token_file = \"\(directory.path)/missing\"", key: "http.token_file", containing: "cannot read the token")
    }
}
