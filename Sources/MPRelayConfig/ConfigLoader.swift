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
        var endpoints: [EndpointConfig] = []
        var warnings: [ConfigWarning] = []
        for key in root.keys.sorted() {
            let field = TOMLField(value: root[key]!, file: file, key: key)
            switch key {
            case "broker":
                broker = try readBroker(try field.table(), file: file)
            case "endpoint":
                guard root[key]!.type == .array, let tables = root[key]!.array else {
                    throw field.error("write endpoints as [[endpoint]] tables")
                }
                for (index, element) in tables.enumerated() {
                    let entry = TOMLField(value: element, file: file, key: "endpoint[\(index + 1)]")
                    endpoints.append(try readEndpoint(try entry.table(), key: entry.key, file: file, warnings: &warnings))
                }
            default:
                throw field.error("unknown table or key: expected [broker] or [[endpoint]]")
            }
        }
        guard !endpoints.isEmpty else {
            throw ConfigError(file: file, key: "endpoint", message: "no [[endpoint]] table: the broker would listen nowhere")
        }
        try broker.validate(file: file)
        try checkDistinct(endpoints, file: file)
        return Configuration(broker: broker, endpoints: endpoints, source: file, warnings: warnings)
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

    private func readEndpoint(
        _ table: TOMLTable,
        key prefix: String,
        file: String,
        warnings: inout [ConfigWarning]
    ) throws(ConfigError) -> EndpointConfig {
        func field(_ key: String) -> TOMLField? {
            table[key].map { TOMLField(value: $0, file: file, key: "\(prefix).\(key)") }
        }
        for key in table.keys.sorted() where !EndpointConfig.keys.contains(key) {
            throw ConfigError(
                file: file,
                key: "\(prefix).\(key)",
                message: "unknown key: expected one of \(EndpointConfig.keys.joined(separator: ", "))"
            )
        }
        guard let addressField = field("address") else {
            throw ConfigError(file: file, key: "\(prefix).address", message: "missing: every endpoint needs an address")
        }
        let addressText = try addressField.string()
        let address: EndpointAddress
        do {
            address = try EndpointAddress(parsing: addressText)
        } catch {
            throw addressField.error(error.description)
        }
        let authkey = try readAuthkey(field: field, prefix: prefix, file: file, warnings: &warnings)
        var endpoint = EndpointConfig(address: address, authkey: authkey)
        if let modeField = field("mode") {
            switch address {
            case .unixPath:
                endpoint.mode = try modeField.fileMode()
            default:
                throw modeField.error("mode applies to socket files only, and \(address) is not one")
            }
        }
        return endpoint
    }

    private func readAuthkey(
        field: (String) -> TOMLField?,
        prefix: String,
        file: String,
        warnings: inout [ConfigWarning]
    ) throws(ConfigError) -> Authkey {
        let sources = ["authkey_file", "authkey_credential", "authkey"].compactMap(field)
        guard sources.count == 1, let source = sources.first else {
            throw ConfigError(
                file: file,
                key: prefix,
                message: sources.isEmpty
                    ? "no key: set authkey_file (or authkey_credential under systemd, or authkey for development)"
                    : "set only one of authkey_file, authkey_credential and authkey"
            )
        }
        switch source.key.split(separator: ".").last! {
        case "authkey_file":
            let path = try source.string()
            return try withUnsafeMutablePointer(to: &warnings) { pointer throws(ConfigError) in
                try readKeyFile(path, origin: "file \(path)", field: source, warnings: pointer)
            }
        case "authkey_credential":
            let name = try source.string()
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw source.error("credential \"\(name)\" needs $CREDENTIALS_DIRECTORY, which systemd sets for LoadCredential=; it is not set")
            }
            guard !name.isEmpty, !name.contains("/") else { throw source.error("\"\(name)\" is not a credential name") }
            return try readKeyFile(directory + "/" + name, origin: "credential \(name)", field: source, warnings: nil)
        default:
            let text = try source.string()
            guard !text.isEmpty else { throw source.error("the key is empty") }
            warnings.append(ConfigWarning(key: source.key, message: "key written in the configuration: use authkey_file outside development"))
            return Authkey(bytes: Array(text.utf8), origin: "inline \(source.key)")
        }
    }

    /// Reads a key file: its bytes with one trailing newline removed. A file that other users
    /// can read gets a warning when `warnings` is given (credentials are systemd's to protect).
    private func readKeyFile(
        _ path: String,
        origin: String,
        field: TOMLField,
        warnings: UnsafeMutablePointer<[ConfigWarning]>?
    ) throws(ConfigError) -> Authkey {
        let contents: (bytes: [UInt8], mode: mode_t)
        do {
            contents = try readFileBytes(path)
        } catch {
            throw field.error("cannot read the key from \(path): \(error)")
        }
        var bytes = contents.bytes
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw field.error("the key file \(path) is empty") }
        if let warnings, contents.mode & 0o044 != 0 {
            warnings.pointee.append(ConfigWarning(
                key: field.key,
                message: "key file \(path) is readable by other users (mode \(String(contents.mode & 0o777, radix: 8))): chmod 600 it"
            ))
        }
        return Authkey(bytes: bytes, origin: origin)
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
