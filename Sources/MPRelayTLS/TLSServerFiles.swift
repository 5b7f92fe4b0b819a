/// Where a TLS endpoint's certificate, key and client CA are, and the oldest protocol version it
/// accepts: what a server context is loaded from, at start, on every reload (a renewed
/// certificate at the same path included) and by `mprelayd --check-config`.
public struct TLSServerFiles: Equatable, Sendable {
    /// PEM: the server's certificate chain.
    public var certificateFile: String
    /// PEM: the private key of ``certificateFile``.
    public var keyFile: String
    /// PEM: the CAs client certificates must be signed by; nil: no client certificate asked for.
    public var clientCAFile: String?
    /// The oldest protocol version accepted.
    public var minimumVersion: TLSVersion

    /// The files of one endpoint.
    public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil, minimumVersion: TLSVersion = .tls12) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        self.minimumVersion = minimumVersion
    }

    /// Loads the files into a server context.
    ///
    /// - Throws: ``TLSError`` naming the file that does not load, does not match, or is expired.
    public func makeContext() throws(TLSError) -> TLSContext {
        try TLSContext.server(
            certificateFile: certificateFile,
            keyFile: keyFile,
            clientCAFile: clientCAFile,
            minimumVersion: minimumVersion
        )
    }
}
