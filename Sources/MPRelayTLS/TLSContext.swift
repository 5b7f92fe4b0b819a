internal import COpenSSL

/// The certificates, keys and rules TLS sessions of one endpoint (or one client) share: an
/// OpenSSL `SSL_CTX`, loaded and checked once.
///
/// Loading fails closed with the file named: an unreadable or unparsable file, a key that does not
/// match its certificate, a server certificate that is expired or not yet valid. Renegotiation and
/// compression are off. A context is immutable once made and OpenSSL allows sessions to be made
/// from it on any thread, hence `@unchecked Sendable`.
public final class TLSContext: @unchecked Sendable {
    /// Which side of the handshake sessions made from this context take.
    public enum Role: Sendable {
        case server
        case client
    }

    /// The side of the handshake.
    public let role: Role
    /// The lowest protocol version a session accepts.
    public let minimumVersion: TLSVersion
    /// Whether a server asks for, and insists on, a client certificate signed by its client CA.
    public let requiresClientCertificate: Bool
    let pointer: OpaquePointer

    private init(role: Role, minimumVersion: TLSVersion, requiresClientCertificate: Bool) throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError(.configuration, "cannot create a TLS context: \(TLSError.drainOpenSSLErrors())")
        }
        self.pointer = context
        self.role = role
        self.minimumVersion = minimumVersion
        self.requiresClientCertificate = requiresClientCertificate
        mprelay_ssl_ctx_set_safe_options(context)
        guard mprelay_ssl_ctx_set_min_version(context, minimumVersion.openSSLValue) == 1 else {
            throw TLSError(.configuration, "cannot set the minimum TLS version \(minimumVersion.rawValue): \(TLSError.drainOpenSSLErrors())")
        }
        // Sessions are not resumed: every connection proves its key with a full handshake anyway.
        mprelay_ssl_ctx_disable_session_cache(context)
        SSL_CTX_set_num_tickets(context, 0)
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    /// A server context: its certificate chain and key, and optionally the CA that client
    /// certificates must be signed by.
    ///
    /// - Parameters:
    ///   - certificateFile: PEM, the server's certificate first, then any intermediates.
    ///   - keyFile: PEM, the private key of that certificate.
    ///   - clientCAFile: PEM CA certificates; when given, every client must present a
    ///     certificate signed by one of them.
    ///   - minimumVersion: the lowest TLS version accepted.
    /// - Throws: ``TLSError`` naming the file at fault.
    public static func server(
        certificateFile: String,
        keyFile: String,
        clientCAFile: String? = nil,
        minimumVersion: TLSVersion = .tls12
    ) throws(TLSError) -> TLSContext {
        let context = try TLSContext(role: .server, minimumVersion: minimumVersion, requiresClientCertificate: clientCAFile != nil)
        try context.loadIdentity(certificateFile: certificateFile, keyFile: keyFile)
        try context.checkCurrentlyValid(certificateFile: certificateFile)
        if let clientCAFile {
            try context.trust(caFile: clientCAFile, purpose: "client CA")
            guard let names = SSL_load_client_CA_file(clientCAFile) else {
                throw TLSError(.unreadableFile, "\(clientCAFile): cannot read the client CA names: \(TLSError.drainOpenSSLErrors())")
            }
            SSL_CTX_set_client_CA_list(context.pointer, names)
            SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        return context
    }

    /// A client context that trusts the CAs in `caFile` and, for mutual TLS, presents a
    /// certificate of its own.
    ///
    /// - Parameters:
    ///   - caFile: PEM CA certificates the server's certificate must be signed by.
    ///   - certificateFile: PEM, the client's certificate, for servers that ask for one.
    ///   - keyFile: PEM, its private key (default: in `certificateFile`).
    ///   - minimumVersion: the lowest TLS version offered.
    ///   - maximumVersion: the highest TLS version offered (default: the highest OpenSSL has).
    /// - Throws: ``TLSError`` naming the file at fault.
    public static func client(
        caFile: String,
        certificateFile: String? = nil,
        keyFile: String? = nil,
        minimumVersion: TLSVersion = .tls12,
        maximumVersion: TLSVersion? = nil
    ) throws(TLSError) -> TLSContext {
        let context = try TLSContext(role: .client, minimumVersion: minimumVersion, requiresClientCertificate: false)
        if let maximumVersion, mprelay_ssl_ctx_set_max_version(context.pointer, maximumVersion.openSSLValue) != 1 {
            throw TLSError(.configuration, "cannot set the maximum TLS version \(maximumVersion.rawValue): \(TLSError.drainOpenSSLErrors())")
        }
        try context.trust(caFile: caFile, purpose: "CA")
        SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER, nil)
        if let certificateFile {
            try context.loadIdentity(certificateFile: certificateFile, keyFile: keyFile ?? certificateFile)
        }
        return context
    }

    private func loadIdentity(certificateFile: String, keyFile: String) throws(TLSError) {
        guard SSL_CTX_use_certificate_chain_file(pointer, certificateFile) == 1 else {
            throw TLSError(.unreadableFile, "\(certificateFile): not a readable PEM certificate: \(TLSError.drainOpenSSLErrors())")
        }
        guard SSL_CTX_use_PrivateKey_file(pointer, keyFile, SSL_FILETYPE_PEM) == 1 else {
            // OpenSSL compares the key with the certificate as it loads it.
            let reason = Int32(truncatingIfNeeded: ERR_peek_last_error() & 0x7FFFFF)
            let reasons = TLSError.drainOpenSSLErrors()
            if reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH {
                throw TLSError(.keyMismatch, "\(keyFile): the private key does not match the certificate in \(certificateFile)")
            }
            throw TLSError(.unreadableFile, "\(keyFile): not a readable PEM private key: \(reasons)")
        }
        guard SSL_CTX_check_private_key(pointer) == 1 else {
            _ = TLSError.drainOpenSSLErrors()
            throw TLSError(.keyMismatch, "\(keyFile): the private key does not match the certificate in \(certificateFile)")
        }
    }

    private func trust(caFile: String, purpose: String) throws(TLSError) {
        guard SSL_CTX_load_verify_locations(pointer, caFile, nil) == 1 else {
            throw TLSError(.unreadableFile, "\(caFile): not a readable PEM \(purpose) certificate: \(TLSError.drainOpenSSLErrors())")
        }
    }

    /// A server that presents an expired certificate fails every handshake; better to refuse it
    /// when the file is loaded, where the operator is looking.
    private func checkCurrentlyValid(certificateFile: String) throws(TLSError) {
        guard let certificate = SSL_CTX_get0_certificate(pointer) else { return }
        if X509_cmp_current_time(X509_get0_notBefore(certificate)) >= 0 {
            throw TLSError(.certificateNotCurrentlyValid, "\(certificateFile): the certificate is not valid yet (not before \(TLSCertificateText.time(X509_get0_notBefore(certificate))))")
        }
        if X509_cmp_current_time(X509_get0_notAfter(certificate)) <= 0 {
            throw TLSError(.certificateNotCurrentlyValid, "\(certificateFile): the certificate expired (not after \(TLSCertificateText.time(X509_get0_notAfter(certificate))))")
        }
    }
}
