import MPRelayCommon
import MPRelayTLS

extension ConfigLoader {
    /// Reads one `[[endpoint]]`: its address, and either a bare key (an implicit principal) or
    /// the names of `[[principal]]` tables.
    func readEndpoint(
        _ entry: TOMLField,
        principals: [String: PrincipalConfig],
        warnings: inout [ConfigWarning]
    ) throws(ConfigError) -> EndpointConfig {
        _ = try entry.table()
        try entry.rejectUnknownKeys(allowed: EndpointConfig.keys)
        let address: EndpointAddress
        switch (entry.field("address"), entry.field("socket")) {
        case (let addressField?, nil):
            let addressText = try addressField.string(allowingNUL: true)
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
            throw entry.error(key: "\(entry.key).address", "missing: every endpoint needs an address (or socket = \"NAME\" under systemd)")
        case (_?, let socketField?):
            throw socketField.error("set address or socket, not both")
        }
        var endpoint: EndpointConfig
        if let namesField = entry.field("principals") {
            guard KeySource.allCases.allSatisfy({ entry.field($0.rawValue) == nil }) else {
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
            let keys = try readKeys(of: entry, allowRotation: false, warnings: &warnings)
            endpoint = EndpointConfig(address: address, authkey: keys[0])
        }
        if let modeField = entry.field("mode") {
            guard case .unixPath = address else {
                throw modeField.error("mode applies to socket files only, and \(address) is not one")
            }
            endpoint.mode = try modeField.fileMode()
        }
        if let digestField = entry.field("min_digest") {
            endpoint.minimumDigest = try digestField.digest()
        }
        endpoint.tls = try readEndpointTLS(of: entry, address: address)
        if endpoint.tls?.clientCAFile == nil, let strict = endpoint.principals.first(where: { !$0.tlsSubjects.isEmpty }) {
            throw (entry.field("principals") ?? entry).error(
                "principal \(strict.name) accepts only clients with a certificate (tls_subjects), but this endpoint asks for none: set tls_client_ca_file"
            )
        }
        return endpoint
    }
}
