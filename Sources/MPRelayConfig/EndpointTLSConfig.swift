public import MPRelayTLS

/// The TLS settings of a `host:port` endpoint: the multiprocessing handshake then runs inside TLS.
///
/// The files are only named here; the daemon loads them (and refuses a certificate that does not
/// load, does not match its key, or is not currently valid) when it starts and on every reload,
/// so a renewed certificate at the same path is picked up by a reload.
public struct EndpointTLSConfig: Equatable, Sendable {
    /// PEM: the server certificate, then any intermediates.
    public var certificateFile: String
    /// PEM: its private key. Must not be readable by other users.
    public var keyFile: String
    /// PEM: the CAs client certificates must be signed by; nil: no client certificate asked for.
    public var clientCAFile: String?
    /// The lowest protocol version accepted.
    public var minimumVersion: TLSVersion

    /// TLS settings; `minimumVersion` defaults to 1.2.
    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil, minimumVersion: TLSVersion = .tls12) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        self.minimumVersion = minimumVersion
    }

    /// The TLS keys of an `[[endpoint]]` table.
    public static let keys = ["tls_cert_file", "tls_key_file", "tls_client_ca_file", "tls_min_version"]
}
