import Glibc
import MPRelayPOSIX
import MPRelayTOML

/// The keys that name where an authkey comes from.
enum KeySource: String, CaseIterable {
    case file = "authkey_file"
    case credential = "authkey_credential"
    case inline = "authkey"
}

extension ConfigLoader {
    /// Reads the one key source of an endpoint or principal table. With `allowRotation`, the
    /// source may be an array of two, for a key rotation window.
    func readKeys(of table: TOMLField, allowRotation: Bool, warnings: inout [ConfigWarning]) throws(ConfigError) -> [Authkey] {
        let sources = KeySource.allCases.compactMap { source in table.field(source.rawValue).map { (source, $0) } }
        guard sources.count == 1, let (kind, source) = sources.first else {
            throw (sources.last?.1 ?? table).error(
                key: table.key,
                sources.isEmpty
                    ? "no key: set authkey_file (or authkey_credential under systemd, or authkey for development)"
                    : "set only one of authkey_file, authkey_credential and authkey"
            )
        }
        let values: [String]
        if allowRotation, case .array(_) = source.value {
            values = try source.stringArray()
            guard (1...2).contains(values.count) else {
                throw source.error("list one key, or two during a rotation window; got \(values.count)")
            }
        } else {
            values = [try source.string()]
        }
        var keys: [Authkey] = []
        for value in values {
            keys.append(try readKey(value, kind: kind, field: source, warnings: &warnings))
        }
        return keys
    }

    private func readKey(_ value: String, kind: KeySource, field: TOMLField, warnings: inout [ConfigWarning]) throws(ConfigError) -> Authkey {
        switch kind {
        case .file:
            let key = try readKeyFile(value, origin: "file \(value), \(field.key)", field: field)
            if key.mode & 0o044 != 0 {
                warnings.append(ConfigWarning(
                    key: field.key,
                    message: "key file \(value) is readable by other users (mode \(String(key.mode & 0o777, radix: 8))): chmod 600 it"
                ))
            }
            return key.authkey
        case .credential:
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw field.error("credential \"\(value)\" needs $CREDENTIALS_DIRECTORY, which systemd sets for LoadCredential=; it is not set")
            }
            guard !value.isEmpty, !value.contains("/") else { throw field.error("\"\(value)\" is not a credential name") }
            return try readKeyFile(directory + "/" + value, origin: "credential \(value)", field: field).authkey
        case .inline:
            guard !value.isEmpty else { throw field.error("the key is empty") }
            warnings.append(ConfigWarning(key: field.key, message: "key written in the configuration: use authkey_file outside development"))
            return Authkey(bytes: Array(value.utf8), origin: "inline \(field.key)")
        }
    }

    /// Reads a key file: its bytes with one trailing newline removed, and the file's mode.
    private func readKeyFile(_ path: String, origin: String, field: TOMLField) throws(ConfigError) -> (authkey: Authkey, mode: mode_t) {
        let contents: (bytes: [UInt8], mode: mode_t)
        do {
            contents = try readFileBytes(path, limit: Authkey.maximumFileBytes)
        } catch {
            throw field.error("cannot read the key from \(path): \(error)")
        }
        var bytes = contents.bytes
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw field.error("the key file \(path) is empty") }
        return (Authkey(bytes: bytes, origin: origin), contents.mode)
    }
}
