import TOMLKit

extension ConfigLoader {
    /// Reads every `[[principal]]` table, by name.
    func readPrincipals(
        _ value: (any TOMLValueConvertible)?,
        file: String,
        warnings: inout [ConfigWarning]
    ) throws(ConfigError) -> [String: PrincipalConfig] {
        guard let value else { return [:] }
        guard value.type == .array, let tables = value.array else {
            throw ConfigError(file: file, key: "principal", message: "write principals as [[principal]] tables")
        }
        var principals: [String: PrincipalConfig] = [:]
        for (index, element) in tables.enumerated() {
            let entry = TOMLField(value: element, file: file, key: "principal[\(index + 1)]")
            let principal = try readPrincipal(try entry.table(), key: entry.key, file: file, warnings: &warnings)
            guard principals[principal.name] == nil else {
                throw ConfigError(file: file, key: "\(entry.key).name", message: "another [[principal]] is already named \"\(principal.name)\"")
            }
            principals[principal.name] = principal
        }
        return principals
    }

    private func readPrincipal(
        _ table: TOMLTable,
        key prefix: String,
        file: String,
        warnings: inout [ConfigWarning]
    ) throws(ConfigError) -> PrincipalConfig {
        func field(_ key: String) -> TOMLField? {
            table[key].map { TOMLField(value: $0, file: file, key: "\(prefix).\(key)") }
        }
        try rejectUnknownKeys(table, allowed: PrincipalConfig.tableKeys, prefix: prefix, file: file)
        guard let nameField = field("name") else {
            throw ConfigError(file: file, key: "\(prefix).name", message: "missing: every principal needs a name")
        }
        let name = try nameField.string()
        guard !name.isEmpty else { throw nameField.error("the name is empty") }
        let keys = try readKeys(field: field, prefix: prefix, file: file, allowRotation: true, warnings: &warnings)
        guard let registerField = field("may_register") else {
            throw ConfigError(
                file: file,
                key: "\(prefix).may_register",
                message: "missing: list the names this principal may register, e.g. [\"worker-*\"] (or [\"*\"] for any)"
            )
        }
        var principal = PrincipalConfig(name: name, keys: keys, mayRegister: try registerField.stringArray())
        if let sendField = field("may_send_to") { principal.maySendTo = try sendField.stringArray() }
        if let listField = field("may_list") { principal.mayList = try listField.boolean() }
        if let connectionsField = field("max_connections") { principal.maxConnections = try connectionsField.integer(in: 1...1_000_000) }
        if let namesField = field("max_names") { principal.maxNames = try namesField.integer(in: 1...1_000_000) }
        if let conflictField = field("on_name_conflict") {
            let text = try conflictField.string()
            guard let policy = PrincipalConfig.NameConflictPolicy(rawValue: text) else {
                throw conflictField.error("\"\(text)\" is not a policy: expected \"reject\" or \"replace\"")
            }
            principal.onNameConflict = policy
        }
        if let subjectsField = field("tls_subjects") {
            principal.tlsSubjects = try subjectsField.stringArray()
            guard !principal.tlsSubjects.isEmpty, !principal.tlsSubjects.contains(where: \.isEmpty) else {
                throw subjectsField.error("list at least one certificate subject (\"CN=...\") or alternative name (\"DNS:...\"), none empty")
            }
        }
        return principal
    }
}
