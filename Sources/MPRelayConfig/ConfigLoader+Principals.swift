extension ConfigLoader {
    /// Reads every `[[principal]]` table, by name.
    func readPrincipals(_ field: TOMLField?, warnings: inout [ConfigWarning]) throws(ConfigError) -> [String: PrincipalConfig] {
        guard let field else { return [:] }
        var principals: [String: PrincipalConfig] = [:]
        for entry in try field.elements(or: "write principals as [[principal]] tables") {
            let principal = try readPrincipal(entry, warnings: &warnings)
            guard principals[principal.name] == nil else {
                throw (entry.field("name") ?? entry).error("another [[principal]] is already named \"\(principal.name)\"")
            }
            principals[principal.name] = principal
        }
        return principals
    }

    private func readPrincipal(_ entry: TOMLField, warnings: inout [ConfigWarning]) throws(ConfigError) -> PrincipalConfig {
        _ = try entry.table()
        try entry.rejectUnknownKeys(allowed: PrincipalConfig.tableKeys)
        guard let nameField = entry.field("name") else {
            throw entry.error(key: "\(entry.key).name", "missing: every principal needs a name")
        }
        let name = try nameField.string()
        guard !name.isEmpty else { throw nameField.error("the name is empty") }
        let keys = try readKeys(of: entry, allowRotation: true, warnings: &warnings)
        guard let registerField = entry.field("may_register") else {
            throw entry.error(
                key: "\(entry.key).may_register",
                "missing: list the names this principal may register, e.g. [\"worker-*\"] (or [\"*\"] for any)"
            )
        }
        var principal = PrincipalConfig(name: name, keys: keys, mayRegister: try registerField.stringArray())
        if let sendField = entry.field("may_send_to") { principal.maySendTo = try sendField.stringArray() }
        if let listField = entry.field("may_list") { principal.mayList = try listField.boolean() }
        if let connectionsField = entry.field("max_connections") { principal.maxConnections = try connectionsField.integer(in: 1...1_000_000) }
        if let namesField = entry.field("max_names") { principal.maxNames = try namesField.integer(in: 1...1_000_000) }
        if let conflictField = entry.field("on_name_conflict") {
            let text = try conflictField.string()
            guard let policy = PrincipalConfig.NameConflictPolicy(rawValue: text) else {
                throw conflictField.error("\"\(text)\" is not a policy: expected \"reject\" or \"replace\"")
            }
            principal.onNameConflict = policy
        }
        if let subjectsField = entry.field("tls_subjects") {
            principal.tlsSubjects = try subjectsField.stringArray()
            guard !principal.tlsSubjects.isEmpty, !principal.tlsSubjects.contains(where: \.isEmpty) else {
                throw subjectsField.error("list at least one certificate subject (\"CN=...\") or alternative name (\"DNS:...\"), none empty")
            }
        }
        return principal
    }
}
