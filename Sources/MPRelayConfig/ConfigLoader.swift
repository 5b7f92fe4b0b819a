import MPRelayCommon
import MPRelayConfigFile
import MPRelayTOML

/// Reads and validates a TOML configuration, including the key files it names, so that every
/// problem is found before anything listens.
public struct ConfigLoader: Sendable {
    /// The environment, for `CREDENTIALS_DIRECTORY`.
    public var environment: [String: String]
    /// The host name, the default of `[cluster] node`.
    public var hostName: String

    /// The largest configuration file read, and the largest TLS file; a larger one is refused
    /// rather than read whole.
    public static let maximumFileBytes = ConfigFile.maximumBytes

    /// A loader that takes `CREDENTIALS_DIRECTORY` from `environment` and the default node id
    /// from this machine's host name.
    public init(environment: [String: String]) {
        self.environment = environment
        self.hostName = ClusterConfig.currentHostName()
    }

    /// Loads the file at `path`.
    ///
    /// - Throws: ``ConfigError`` naming the file, and the line, column and key at fault.
    public func load(path: String) throws(ConfigError) -> Configuration {
        try parse(bytes: try ConfigFile.read(path), file: path)
    }

    /// Parses configuration text; `file` names it in errors.
    public func parse(_ text: String, file: String) throws(ConfigError) -> Configuration {
        try parse(bytes: Array(text.utf8), file: file)
    }

    /// Parses configuration bytes, which need not be UTF-8 or TOML at all; `file` names them in
    /// errors.
    public func parse(bytes: [UInt8], file: String) throws(ConfigError) -> Configuration {
        let root = try Self.document(bytes, file: file)
        var broker = BrokerConfig()
        var control = ControlConfig()
        var http = HTTPConfig()
        var cluster: ClusterConfig?
        var endpoints: [(config: EndpointConfig, address: TOMLField)] = []
        var warnings: [ConfigWarning] = []
        let principals = try readPrincipals(root.field("principal"), warnings: &warnings)
        for (key, field) in try root.entries() {
            switch key {
            case "broker":
                broker = try readBroker(field)
            case "control":
                control = try ControlConfig.read(field)
            case "http":
                http = try HTTPConfig.read(field)
            case "cluster":
                cluster = try ClusterConfig.read(field, hostName: hostName)
            case "endpoint":
                for entry in try field.elements(or: "write endpoints as [[endpoint]] tables") {
                    let endpoint = try readEndpoint(entry, principals: principals, warnings: &warnings)
                    endpoints.append((endpoint, entry.field("address") ?? entry.field("socket") ?? entry))
                }
            case "principal":
                break
            default:
                throw field.error("unknown table or key: expected [broker], [control], [http], [cluster], [[principal]] or [[endpoint]]")
            }
        }
        guard !endpoints.isEmpty else {
            throw root.error(key: "endpoint", "no [[endpoint]] table: the broker would listen nowhere")
        }
        try broker.validate(root.field("broker") ?? root)
        try checkDistinct(endpoints)
        return Configuration(broker: broker, endpoints: endpoints.map(\.config), control: control, http: http, cluster: cluster, source: file, warnings: warnings)
    }

    /// The document as the field of its root table, positioned at its start; a syntax error
    /// becomes a ``ConfigError`` at the line and column the parser stopped.
    static func document(_ bytes: [UInt8], file: String) throws(ConfigError) -> TOMLField {
        let root = try ConfigFile.parse(bytes, file: file)
        return TOMLField(node: TOMLNode(value: .table(root), position: TOMLPosition(line: 1, column: 1)), file: file, key: "")
    }

    private func readBroker(_ field: TOMLField) throws(ConfigError) -> BrokerConfig {
        var broker = BrokerConfig()
        let settings = BrokerConfig.settings
        for (key, entry) in try field.entries() {
            guard let setting = settings.first(where: { $0.key == key }) else {
                throw entry.error("unknown key: expected one of \(settings.map(\.key).joined(separator: ", "))")
            }
            try setting.read(&broker, entry)
        }
        return broker
    }

    private func checkDistinct(_ endpoints: [(config: EndpointConfig, address: TOMLField)]) throws(ConfigError) {
        var seen: [EndpointAddress: Int] = [:]
        for (index, endpoint) in endpoints.enumerated() {
            if let first = seen[endpoint.config.address] {
                throw endpoint.address.error("\(endpoint.config.address) is already the address of endpoint[\(first + 1)]")
            }
            seen[endpoint.config.address] = index
        }
    }
}
