import MPRelayCommon
import MPRelayNATS
import MPRelayTLS

extension ClusterConfig {
    /// The `nats_tls_*` keys of `[cluster]`, in the order the docs list them.
    static var tlsSettings: [Setting<ClusterConfig>] {
        [
            Setting(key: "nats_tls_ca_file", bounds: "a PEM file of CA certificates", defaultValue: { $0.tlsCAFile ?? "none: plain TCP" }) {
                model, field throws(ConfigError) in model.tlsCAFile = try field.readableFile().path
            },
            Setting(key: "nats_tls_cert_file", bounds: "a PEM file, with nats_tls_key_file", defaultValue: { $0.tlsCertificateFile ?? "none" }) {
                model, field throws(ConfigError) in model.tlsCertificateFile = try field.readableFile().path
            },
            Setting(key: "nats_tls_key_file", bounds: "a PEM file, mode 0600 or stricter", defaultValue: { $0.tlsKeyFile ?? "none" }) {
                model, field throws(ConfigError) in model.tlsKeyFile = try field.privateKeyFile().path
            },
            Setting(key: "nats_tls_server_name", bounds: "a host name or IP address of 1 to \(maxServerNameLength) bytes", defaultValue: { $0.tlsServerName ?? "each server's host" }) {
                model, field throws(ConfigError) in model.tlsServerName = try field.tlsServerName()
            },
        ]
    }

    /// The longest `nats_tls_server_name`, in bytes: the longest DNS name.
    static let maxServerNameLength = 253

    /// Loads the files the `nats_tls_*` keys of `table` named (already read into this value)
    /// into ``tls``: a CA is required for any of the other keys and for a `tls://` server, a
    /// client certificate comes with its key, and every file must load into a client context.
    mutating func loadTLS(_ table: TOMLField) throws(ConfigError) {
        let certificateField = table.field("nats_tls_cert_file")
        let keyField = table.field("nats_tls_key_file")
        guard let caField = table.field("nats_tls_ca_file") else {
            let others = [certificateField, keyField, table.field("nats_tls_server_name")]
            if let first = others.compactMap({ $0 }).first {
                throw first.error("TLS to NATS needs nats_tls_ca_file, the CA the servers' certificates are checked against")
            }
            if let index = nats.firstIndex(where: \.requiresTLS), let list = table.field("nats") {
                throw try list.elements(or: "")[index].error(
                    "\(nats[index]) asks for TLS: set nats_tls_ca_file, the CA the servers' certificates are checked against"
                )
            }
            return
        }
        guard (certificateField == nil) == (keyField == nil) else {
            let present = certificateField ?? keyField ?? caField
            throw present.error("nats_tls_cert_file and nats_tls_key_file go together: set both or neither")
        }
        let ca = try caField.readableFile()
        let certificate = try certificateField?.readableFile()
        let key = try keyField?.privateKeyFile()
        do throws(TLSError) {
            let context = try TLSContext.client(caFile: ca.path, certificateFile: certificate?.path, keyFile: key?.path)
            tls = NATSClientTLS(context: context, caBytes: ca.bytes, certificateBytes: certificate?.bytes, keyBytes: key?.bytes)
        } catch {
            // OpenSSL's message starts with the file it could not load; a mismatch is the key's.
            let suspects = [(certificateField, certificate?.path), (keyField, key?.path)]
            let culprit = error.code == .keyMismatch
                ? keyField
                : suspects.first { field, path in field != nil && path.map { error.message.hasPrefix($0 + ":") } == true }?.0
            throw (culprit ?? caField).error("\(error)")
        }
    }
}

extension TOMLField {
    /// A `nats_tls_server_name`: a host name or an IP address, as a certificate names it.
    func tlsServerName() throws(ConfigError) -> String {
        let text = try string()
        let allowed = text.utf8.allSatisfy { byte in
            ClusterToken.isValidByte(byte) && byte != UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
        guard (1...ClusterConfig.maxServerNameLength).contains(text.utf8.count), allowed else {
            throw error("\"\(text)\" is not a host name or IP address: expected 1 to \(ClusterConfig.maxServerNameLength) bytes of A-Z a-z 0-9 . - :")
        }
        return text
    }
}
