import MPRelayCommon
import MPRelayTLS

extension ConfigLoader {
    /// Reads the `tls_*` keys of an endpoint: nil when none is set. Checks what can be checked
    /// without OpenSSL: the address is `host:port`, both files are named and readable, and the
    /// key file is not readable by other users.
    func readEndpointTLS(of entry: TOMLField, address: EndpointAddress) throws(ConfigError) -> TLSServerFiles? {
        func field(_ name: String) -> TOMLField? { entry.field(name) }
        let given = EndpointConfig.tlsKeys.compactMap { field($0) }
        guard let first = given.first else { return nil }
        switch address {
        case .inet, .inet6: break
        default: throw first.error("TLS applies to host:port endpoints only, and \(address) is not one")
        }
        guard let certificateField = field("tls_cert_file"), let keyField = field("tls_key_file") else {
            let missing = field("tls_cert_file") == nil ? "tls_cert_file" : "tls_key_file"
            throw first.error(key: "\(entry.key).\(missing)", "missing: TLS needs both tls_cert_file and tls_key_file")
        }
        let key = try keyField.privateKeyFile()
        var tls = TLSServerFiles(certificateFile: try certificateField.readableFile().path, keyFile: key.path)
        if let caField = field("tls_client_ca_file") { tls.clientCAFile = try caField.readableFile().path }
        if let versionField = field("tls_min_version") {
            let text = try versionField.string()
            guard let version = TLSVersion(rawValue: text) else {
                throw versionField.error("\"\(text)\" is not a TLS version: expected \"1.2\" or \"1.3\"")
            }
            tls.minimumVersion = version
        }
        return tls
    }
}
