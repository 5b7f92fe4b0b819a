internal import COpenSSL

/// Why a TLS handshake failed, in a few words fit for a metric label and a log line.
public enum TLSHandshakeFailure: String, Sendable, CaseIterable {
    /// The peer did not speak TLS at all (a plain client on a TLS port).
    case notTLS = "not_tls"
    /// The peer offered only protocol versions below the minimum (TLS 1.0 or 1.1, say).
    case protocolVersion = "protocol_version"
    /// The peer's certificate was missing, expired, not yet valid, or not signed by a trusted CA.
    case peerCertificate = "peer_certificate"
    /// The peer rejected our certificate (it does not trust it, or the name does not match).
    case rejectedByPeer = "rejected_by_peer"
    /// No cipher suite or group both sides support.
    case noSharedCipher = "no_shared_cipher"
    /// The peer closed the connection in the middle of the handshake.
    case peerClosed = "peer_closed"
    /// Anything else OpenSSL refused.
    case other

    /// Sorts OpenSSL's packed error `code` (from `ERR_peek_error`) and the verify result.
    static func classify(errorCode: UInt, verifyResult: Int) -> TLSHandshakeFailure {
        let reason = Int32(truncatingIfNeeded: errorCode & 0x7FFFFF)
        switch reason {
        case SSL_R_WRONG_VERSION_NUMBER, SSL_R_HTTP_REQUEST, SSL_R_HTTPS_PROXY_REQUEST, SSL_R_RECORD_LENGTH_MISMATCH, SSL_R_PACKET_LENGTH_TOO_LONG:
            return .notTLS
        case SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, SSL_R_VERSION_TOO_LOW:
            return .protocolVersion
        case SSL_R_CERTIFICATE_VERIFY_FAILED, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
            return .peerCertificate
        case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE, SSL_R_TLSV1_ALERT_UNKNOWN_CA, SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED,
            SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN, SSL_R_TLSV1_ALERT_DECRYPT_ERROR, SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED,
            SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE, SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
            return .rejectedByPeer
        case SSL_R_NO_SHARED_CIPHER, SSL_R_NO_SHARED_GROUPS, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
            return .noSharedCipher
        case SSL_R_UNEXPECTED_EOF_WHILE_READING:
            return .peerClosed
        default:
            return verifyResult != X509_V_OK ? .peerCertificate : .other
        }
    }
}
