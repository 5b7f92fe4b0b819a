import Glibc
import TOMLKit

/// Reads and validates a TOML configuration, including the key files it names, so that every
/// problem is found before anything listens.
public struct ConfigLoader: Sendable {
    /// The environment, for `CREDENTIALS_DIRECTORY`.
    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// Loads the file at `path`.
    public func load(path: String) throws(ConfigError) -> Configuration {
        let text: String
        do {
            text = String(decoding: try readFileBytes(path).bytes, as: UTF8.self)
        } catch {
            throw ConfigError(file: path, key: "", message: "cannot read the configuration: \(error)")
        }
        return try parse(text, file: path)
    }

    /// Parses configuration text; `file` names it in errors.
    public func parse(_ text: String, file: String) throws(ConfigError) -> Configuration {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(
                file: file,
                key: "",
                message: "TOML syntax error at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)"
            )
        } catch {
            throw ConfigError(file: file, key: "", message: "TOML syntax error: \(error)")
        }
        var broker = BrokerConfig()
        var control = ControlConfig()
        var http = HTTPConfig()
        var endpoints: [EndpointConfig] = []
        var warnings: [ConfigWarning] = []
        let principals = try readPrincipals(root["principal"], file: file, warnings: &warnings)
        for key in root.keys.sorted() {
            let field = TOMLField(value: root[key]!, file: file, key: key)
            switch key {
            case "broker":
                broker = try readBroker(try field.table(), file: file)
            case "control":
                control = try ControlConfig.read(try field.table(), file: file)
            case "http":
                http = try HTTPConfig.read(try field.table(), file: file)
            case "endpoint":
                guard root[key]!.type == .array, let tables = root[key]!.array else {
                    throw field.error("write endpoints as [[endpoint]] tables")
                }
                for (index, element) in tables.enumerated() {
                    let entry = TOMLField(value: element, file: file, key: "endpoint[\(index + 1)]")
                    endpoints.append(
                        try readEndpoint(try entry.table(), key: entry.key, file: file, principals: principals, warnings: &warnings)
                    )
                }
            case "principal":
                break
            default:
                throw field.error("unknown table or key: expected [broker], [control], [http], [[principal]] or [[endpoint]]")
            }
        }
        guard !endpoints.isEmpty else {
            throw ConfigError(file: file, key: "endpoint", message: "no [[endpoint]] table: the broker would listen nowhere")
        }
        try broker.validate(file: file)
        try checkDistinct(endpoints, file: file)
        return Configuration(broker: broker, endpoints: endpoints, control: control, http: http, source: file, warnings: warnings)
    }

    private func readBroker(_ table: TOMLTable, file: String) throws(ConfigError) -> BrokerConfig {
        var broker = BrokerConfig()
        let settings = BrokerConfig.settings
        for key in table.keys.sorted() {
            let field = TOMLField(value: table[key]!, file: file, key: "broker.\(key)")
            guard let setting = settings.first(where: { $0.key == key }) else {
                throw field.error("unknown key: expected one of \(settings.map(\.key).joined(separator: ", "))")
            }
            try setting.read(&broker, field)
        }
        return broker
    }

    private func checkDistinct(_ endpoints: [EndpointConfig], file: String) throws(ConfigError) {
        var seen: [EndpointAddress: Int] = [:]
        for (index, endpoint) in endpoints.enumerated() {
            if let first = seen[endpoint.address] {
                throw ConfigError(
                    file: file,
                    key: "endpoint[\(index + 1)].address",
                    message: "\(endpoint.address) is already the address of endpoint[\(first + 1)]"
                )
            }
            seen[endpoint.address] = index
        }
    }
}
