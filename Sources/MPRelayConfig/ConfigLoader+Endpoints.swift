import TOMLKit

extension ConfigLoader {
    /// Reads one `[[endpoint]]`: its address, and either a bare key (an implicit principal) or
    /// the names of `[[principal]]` tables.
    func readEndpoint(
        _ table: TOMLTable,
        key prefix: String,
        file: String,
        principals: [String: PrincipalConfig],
        warnings: inout [ConfigWarning]
    ) throws(ConfigError) -> EndpointConfig {
        func field(_ key: String) -> TOMLField? {
            table[key].map { TOMLField(value: $0, file: file, key: "\(prefix).\(key)") }
        }
        try rejectUnknownKeys(table, allowed: EndpointConfig.keys, prefix: prefix, file: file)
        let address: EndpointAddress
        switch (field("address"), field("socket")) {
        case (let addressField?, nil):
            let addressText = try addressField.string()
            do {
                address = try EndpointAddress(parsing: addressText)
            } catch {
                throw addressField.error(error.description)
            }
        case (nil, let socketField?):
            let name = try socketField.string()
            guard !name.isEmpty, !name.contains(":") else {
                throw socketField.error("\"\(name)\" is not a FileDescriptorName= (non-empty, no colon)")
            }
            address = .systemdSocket(name)
        case (nil, nil):
            throw ConfigError(file: file, key: "\(prefix).address", message: "missing: every endpoint needs an address (or socket = \"NAME\" under systemd)")
        case (_?, _?):
            throw ConfigError(file: file, key: "\(prefix).socket", message: "set address or socket, not both")
        }
        var endpoint: EndpointConfig
        if let namesField = field("principals") {
            guard KeySource.allCases.allSatisfy({ field($0.rawValue) == nil }) else {
                throw namesField.error("set either principals or a key (authkey_file, authkey_credential, authkey), not both")
            }
            let names = try namesField.stringArray()
            guard !names.isEmpty else { throw namesField.error("an endpoint needs at least one principal") }
            let chosen = try names.map { name throws(ConfigError) -> PrincipalConfig in
                guard let principal = principals[name] else {
                    throw namesField.error("no [[principal]] is named \"\(name)\"; defined: \(principals.keys.sorted().joined(separator: ", "))")
                }
                return principal
            }
            guard Set(names).count == names.count else { throw namesField.error("a principal is listed twice") }
            endpoint = EndpointConfig(address: address, principals: chosen)
        } else {
            let keys = try readKeys(field: field, prefix: prefix, file: file, allowRotation: false, warnings: &warnings)
            endpoint = EndpointConfig(address: address, authkey: keys[0])
        }
        if let modeField = field("mode") {
            guard case .unixPath = address else {
                throw modeField.error("mode applies to socket files only, and \(address) is not one")
            }
            endpoint.mode = try modeField.fileMode()
        }
        if let digestField = field("min_digest") {
            endpoint.minimumDigest = try digestField.digest()
        }
        endpoint.tls = try readEndpointTLS(field: field, address: address, prefix: prefix, file: file)
        if endpoint.tls?.clientCAFile == nil, let strict = endpoint.principals.first(where: { !$0.tlsSubjects.isEmpty }) {
            throw ConfigError(
                file: file,
                key: "\(prefix).principals",
                message: "principal \(strict.name) accepts only clients with a certificate (tls_subjects), but this endpoint asks for none: set tls_client_ca_file"
            )
        }
        return endpoint
    }

    func rejectUnknownKeys(_ table: TOMLTable, allowed: [String], prefix: String, file: String) throws(ConfigError) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw ConfigError(
                file: file,
                key: "\(prefix).\(key)",
                message: "unknown key: expected one of \(allowed.joined(separator: ", "))"
            )
        }
    }
}
