import MPRelayCommon
import Glibc
import MPRelayNATS

extension ClusterConfig {
    /// Every key of `[cluster]`, in the order the docs list them.
    public static var settings: [Setting<ClusterConfig>] {
        [
            Setting(key: "node", bounds: tokenBounds, defaultValue: { _ in "the host name, up to its first dot" }) {
                model, field throws(ConfigError) in model.node = try field.clusterToken("node id")
            },
            Setting(key: "name", bounds: tokenBounds, defaultValue: { "\"\($0.name)\"" }) {
                model, field throws(ConfigError) in model.name = try field.clusterToken("cluster name")
            },
            Setting(key: "nats", bounds: "1 to \(maxServers) nats:// or tls:// host:port URLs", defaultValue: { _ in "none: required" }) {
                model, field throws(ConfigError) in model.nats = try field.natsServers()
            },
            Setting(key: "nats_user", bounds: "a user name, with nats_password_file", defaultValue: { $0.user ?? "none" }) {
                model, field throws(ConfigError) in model.user = try field.natsCredential(Array(try field.string().utf8), noun: "user name")
            },
            Setting(key: "nats_password_file", bounds: secretBounds, defaultValue: { $0.passwordFile ?? "none" }) {
                model, field throws(ConfigError) in
                let path = try field.string()
                model.password = try field.natsCredential(try field.secret(from: path, noun: "password"), noun: "password in \(path)")
                model.passwordFile = path
            },
            Setting(key: "nats_token_file", bounds: secretBounds, defaultValue: { $0.tokenFile ?? "none" }) {
                model, field throws(ConfigError) in
                let path = try field.string()
                model.token = try field.natsCredential(try field.secret(from: path, noun: "token"), noun: "token in \(path)")
                model.tokenFile = path
            },
        ] + tlsSettings + [
            .seconds("name_lease", \.nameLease, 1...300),
            .seconds("nats_timeout", \.natsTimeout, 0.1...60),
            .integer("max_pending_bytes", \.maxPendingBytes, 65_536...(1 << 32)),
        ]
    }

    /// The most NATS servers one node lists.
    static let maxServers = 16
    private static let tokenBounds = "1 to \(ClusterToken.maxLength) bytes of \(ClusterToken.characters)"
    private static let secretBounds = "a file of 1 to 4096 bytes, mode 0600 or stricter"

    /// Reads a `[cluster]` table; a key it does not set keeps its default, `node` defaults to
    /// `hostName` up to its first dot, and `nats` is required.
    static func read(_ table: TOMLField, hostName: String) throws(ConfigError) -> ClusterConfig {
        let shortName = String(hostName.prefix { $0 != "." })
        var cluster = ClusterConfig(node: shortName)
        let settings = Self.settings
        for (key, field) in try table.entries() {
            guard let setting = settings.first(where: { $0.key == key }) else {
                throw field.error("unknown key: expected one of \(settings.map(\.key).joined(separator: ", "))")
            }
            try setting.read(&cluster, field)
        }
        guard table.field("node") != nil || ClusterToken.isValid(shortName) else {
            throw table.error(
                key: "cluster.node",
                "the host name \"\(hostName)\" is not a node id (\(tokenBounds)): set node"
            )
        }
        guard !cluster.nats.isEmpty else {
            throw table.error(key: "cluster.nats", "no NATS server: list one or more, e.g. nats = [\"nats://127.0.0.1:4222\"]")
        }
        if let token = table.field("nats_token_file"), table.field("nats_user") != nil {
            throw token.error("set nats_token_file or nats_user with nats_password_file, not both")
        }
        if (cluster.user == nil) != (cluster.password == nil) {
            let present = table.field("nats_user") ?? table.field("nats_password_file") ?? table
            throw present.error("nats_user and nats_password_file go together: set both or neither")
        }
        try cluster.loadTLS(table)
        return cluster
    }

    /// This machine's host name, or an empty string when it cannot be read.
    static func currentHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension TOMLField {
    /// A node id or cluster name: one token of a NATS subject and of a key-value key.
    func clusterToken(_ noun: String) throws(ConfigError) -> String {
        let text = try string()
        guard ClusterToken.isValid(text) else {
            throw error("\"\(text)\" is not a \(noun): expected 1 to \(ClusterToken.maxLength) bytes of \(ClusterToken.characters)")
        }
        return text
    }

    /// The `nats` list: each element a `nats://` or `tls://` `host:port` URL, none repeated.
    func natsServers() throws(ConfigError) -> [NATSServerAddress] {
        let entries = try elements(or: "expected an array of nats://host:port or tls://host:port URLs")
        guard (1...ClusterConfig.maxServers).contains(entries.count) else {
            throw error("\(entries.count) servers: expected 1 to \(ClusterConfig.maxServers)")
        }
        var servers: [NATSServerAddress] = []
        for entry in entries {
            let url = try entry.string()
            let server: NATSServerAddress
            do {
                server = try NATSServerAddress(url)
            } catch {
                throw entry.error("\"\(url)\" is not a NATS server URL: expected nats://host:port or tls://host:port")
            }
            guard !servers.contains(server) else { throw entry.error("\(server) is listed twice") }
            servers.append(server)
        }
        return servers
    }

    /// A credential as `CONNECT` carries it: UTF-8 without control characters.
    func natsCredential(_ bytes: [UInt8], noun: String) throws(ConfigError) -> String {
        guard !bytes.isEmpty else { throw error("the \(noun) is empty") }
        guard let text = String(validating: bytes, as: UTF8.self), !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw error("the \(noun) must be UTF-8 text without control characters")
        }
        return text
    }
}
