internal import COpenSSL

/// One TLS connection's state, driven with bytes instead of a socket.
///
/// The owner reads ciphertext from its socket and hands it to ``receiveCiphertext(_:)``, then
/// asks for plaintext with ``readPlaintext(into:)``; it encrypts with ``writePlaintext(_:)`` and
/// sends what ``takeCiphertext(appendingTo:)`` hands back. OpenSSL never touches the socket (a
/// BIO over two arrays stands between them, ``TLSRecordBuffers``), so a session fits any I/O
/// loop, blocks nothing, and can be tested without a socket. Not thread-safe: confine a session
/// to its connection's queue, or share it behind a lock (``SharedTLSSession``).
public final class TLSSession {
    /// Where the handshake is.
    public enum HandshakeProgress: Equatable, Sendable {
        /// Finished: plaintext may flow.
        case complete
        /// Waiting for more ciphertext from the peer (send what ``takeCiphertext(appendingTo:)``
        /// has first).
        case needsMoreInput
    }

    /// What ``readPlaintext(into:)`` found.
    public enum ReadOutcome: Equatable, Sendable {
        /// This many plaintext bytes were written to the buffer.
        case bytes(Int)
        /// No whole record yet: feed more ciphertext.
        case needsMoreInput
        /// The peer sent close_notify: no more plaintext will come.
        case closed
    }

    private let ssl: OpaquePointer
    private let buffers = TLSRecordBuffers()
    private(set) public var isHandshakeComplete = false

    /// A session that takes `context`'s side of the handshake. A client gives `serverName` to
    /// send it (SNI) and to check the server's certificate against it.
    public init(context: TLSContext, serverName: String? = nil) throws(TLSError) {
        ERR_clear_error()
        let ssl = SSL_new(context.pointer)
        let bio = buffers.makeBIO()
        guard let ssl, let bio else {
            SSL_free(ssl)
            BIO_free(bio)
            throw TLSError(.configuration, "cannot create a TLS session: \(TLSError.drainOpenSSLErrors())")
        }
        // One BIO both ways: SSL_set_bio takes the one reference for both.
        SSL_set_bio(ssl, bio, bio)
        self.ssl = ssl
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName {
                _ = mprelay_ssl_set_server_name(ssl, serverName)
                SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                guard SSL_set1_host(ssl, serverName) == 1 else {
                    throw TLSError(.configuration, "cannot check server name \(serverName): \(TLSError.drainOpenSSLErrors())")
                }
            }
        }
    }

    deinit {
        SSL_free(ssl)  // frees the BIO, before `buffers` goes
    }

    /// Ciphertext read from the peer.
    public func receiveCiphertext(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        buffers.receive(bytes)
    }

    /// Bytes of received ciphertext not yet read by OpenSSL.
    public var bufferedCiphertextCount: Int { buffers.unreadCount }

    /// Whether ciphertext waits to be sent to the peer.
    public var hasCiphertextToSend: Bool { !buffers.outgoing.isEmpty }

    /// Moves the ciphertext waiting to be sent to the end of `buffer`; returns how many bytes.
    /// An empty `buffer` is swapped with the session's, so nothing is copied, and the session
    /// keeps `buffer`'s capacity for its next records.
    @discardableResult
    public func takeCiphertext(appendingTo buffer: inout [UInt8]) -> Int {
        let count = buffers.outgoing.count
        guard count > 0 else { return 0 }
        if buffer.isEmpty {
            swap(&buffer, &buffers.outgoing)
        } else {
            buffer.append(contentsOf: buffers.outgoing)
            buffers.outgoing.removeAll(keepingCapacity: true)
        }
        return count
    }

    /// Advances the handshake with the ciphertext received so far.
    ///
    /// - Throws: ``TLSError`` with code `handshakeFailed` and its ``TLSHandshakeFailure``; the
    ///   alert for the peer, if any, is in ``takeCiphertext(appendingTo:)``.
    public func advanceHandshake() throws(TLSError) -> HandshakeProgress {
        if isHandshakeComplete { return .complete }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isHandshakeComplete = true
            return .complete
        }
        let error = SSL_get_error(ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return .needsMoreInput }
        let failure = TLSHandshakeFailure.classify(errorCode: ERR_peek_error(), verifyResult: Int(SSL_get_verify_result(ssl)))
        var reason = TLSError.drainOpenSSLErrors(or: error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL ? "the peer closed the handshake" : "error \(error)")
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
            reason += " (certificate: \(String(cString: text)))"
        }
        throw TLSError(.handshakeFailed, failure: failure, "TLS handshake failed (\(failure.rawValue)): \(reason)")
    }

    /// Decrypts into `buffer` what has arrived.
    ///
    /// - Throws: ``TLSError`` with code `protocolError` for a record that does not decrypt or a
    ///   renegotiation attempt.
    public func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> ReadOutcome {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return .bytes(0) }
        ERR_clear_error()
        var count = 0
        let result = SSL_read_ex(ssl, base, buffer.count, &count)
        if result == 1 { return .bytes(count) }
        switch SSL_get_error(ssl, 0) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needsMoreInput
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            throw TLSError(.protocolError, "TLS record refused: \(TLSError.drainOpenSSLErrors())")
        }
    }

    /// Encrypts `bytes`; the records go to the ciphertext waiting to be sent.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        ERR_clear_error()
        var written = 0
        guard SSL_write_ex(ssl, base, bytes.count, &written) == 1, written == bytes.count else {
            throw TLSError(.protocolError, "TLS write failed: \(TLSError.drainOpenSSLErrors())")
        }
    }

    /// Queues close_notify for the peer.
    public func close() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// The negotiated protocol, cipher and peer certificate, once the handshake is complete.
    public var peer: TLSPeerInfo? {
        guard isHandshakeComplete else { return nil }
        let certificate = SSL_get1_peer_certificate(ssl)
        defer { if let certificate { X509_free(certificate) } }
        return TLSPeerInfo(
            version: String(cString: SSL_get_version(ssl)),
            cipher: SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)).map { String(cString: $0) } ?? "",
            subject: certificate.map { TLSCertificateText.subject(of: $0) },
            alternativeNames: certificate.map { TLSCertificateText.alternativeNames(of: $0) } ?? []
        )
    }
}
