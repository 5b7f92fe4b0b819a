public import MPRelayCommon

/// The `[http]` table: the monitoring HTTP server (`/metrics`, `/healthz`, the status page).
///
/// Off unless `listen` is set. A `listen` address that is not loopback is refused unless
/// `token_file` is set too, so the figures and peer names are never served to the network
/// without a bearer token. The token file is read when the configuration is loaded (and again
/// on every reload), and refused when others may read it, like a key file should never be.
/// ``HTTPConfig/settings`` lists every key; docs/CONFIG.md is checked against it by a test.
public struct HTTPConfig: Equatable, Sendable {
    /// Where the server listens (`host:port` or `[v6addr]:port`); nil when it is off.
    public var listen: EndpointAddress?
    /// The file the bearer token was read from; nil when requests need no token.
    public var tokenFile: String?
    /// The bearer token every request must carry in `Authorization: Bearer ...`; nil for none.
    public var token: [UInt8]?

    /// The defaults: no HTTP server.
    public init() {}

    /// Whether ``listen`` is a loopback address, reachable from this machine only.
    public static func isLoopback(_ address: EndpointAddress) -> Bool {
        switch address {
        case .inet(let host, _): return host == "localhost" || host.hasPrefix("127.")
        case .inet6(let host, _): return host == "::1"
        case .unixPath, .unixAbstract, .systemdSocket: return false
        }
    }

    /// Reads an `[http]` table; a key it does not set keeps its default.
    static func read(_ table: TOMLField) throws(ConfigError) -> HTTPConfig {
        var http = HTTPConfig()
        let settings = Self.settings
        for (key, field) in try table.entries() {
            guard let setting = settings.first(where: { $0.key == key }) else {
                throw field.error("unknown key: expected one of \(settings.map(\.key).joined(separator: ", "))")
            }
            try setting.read(&http, field)
        }
        if let listen = http.listen, !isLoopback(listen), http.token == nil {
            throw (table.field("listen") ?? table).error(
                "\(listen) is not a loopback address: set http.token_file too, or listen on 127.0.0.1 or [::1]"
            )
        }
        return http
    }

    /// Every key of `[http]`, in the order the docs list them.
    public static var settings: [Setting<HTTPConfig>] {
        [
            Setting(key: "listen", bounds: "host:port or [v6addr]:port", defaultValue: { $0.listen.map { "\"\($0)\"" } ?? "off" }) {
                model, field throws(ConfigError) in model.listen = try field.httpAddress()
            },
            Setting(key: "token_file", bounds: "a file of 16 to 4096 bytes, mode 0600 or stricter", defaultValue: { $0.tokenFile ?? "none" }) {
                model, field throws(ConfigError) in
                let path = try field.string()
                model.tokenFile = path
                model.token = try field.bearerToken(from: path)
            },
        ]
    }
}

extension TOMLField {
    /// A TCP address for the HTTP server: `host:port` or `[v6addr]:port`.
    func httpAddress() throws(ConfigError) -> EndpointAddress {
        let text = try string()
        let address: EndpointAddress
        do {
            address = try EndpointAddress(parsing: text)
        } catch {
            throw self.error("\(error)")
        }
        switch address {
        case .inet, .inet6: return address
        case .unixPath, .unixAbstract, .systemdSocket:
            throw self.error("\"\(text)\" is not a TCP address: the HTTP server listens on host:port or [v6addr]:port")
        }
    }

    /// The token in the file at `path`, one trailing newline removed; refused when the file is
    /// readable or writable by anyone but its owner, or the token is shorter than 16 bytes.
    func bearerToken(from path: String) throws(ConfigError) -> [UInt8] {
        let bytes = try secret(from: path, noun: "token")
        guard (16...4_096).contains(bytes.count) else {
            throw self.error("the token in \(path) is \(bytes.count) bytes: expected 16 to 4096")
        }
        guard bytes.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw self.error("the token in \(path) must be printable ASCII without spaces, as an Authorization header carries it")
        }
        return bytes
    }
}
