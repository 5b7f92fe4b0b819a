internal import COpenSSL

/// A TLS failure: a file that would not load, a handshake a peer failed, or a broken record.
///
/// Equal when the code is; ``description`` names the file or the peer's fault and carries
/// OpenSSL's own reason, so an operator can act on it.
public struct TLSError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, in kinds a caller may branch on.
    public enum Code: Sendable, Equatable {
        /// A certificate, key or CA file could not be read or parsed.
        case unreadableFile
        /// The certificate and the private key do not belong together.
        case keyMismatch
        /// The server's own certificate is expired or not yet valid.
        case certificateNotCurrentlyValid
        /// The TLS handshake failed; ``TLSError/failure`` says why.
        case handshakeFailed
        /// A record after the handshake could not be decrypted or made sense of.
        case protocolError
        /// OpenSSL refused a setting.
        case configuration
        /// The socket under a ``TLSStream`` failed, or the peer closed it mid-handshake.
        case transport
    }

    /// The kind of failure.
    public let code: Code
    /// For a failed handshake, why, in the words metrics use.
    public let failure: TLSHandshakeFailure?
    /// What failed, for people.
    public let message: String

    init(_ code: Code, failure: TLSHandshakeFailure? = nil, _ message: String) {
        self.code = code
        self.failure = failure
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: TLSError, rhs: TLSError) -> Bool { lhs.code == rhs.code }

    /// Whether the peer's answer would be the same on every try: a handshake that failed on a
    /// certificate (either side's), a protocol version or the cipher suites, not on a closed or
    /// broken connection.
    public var isRefusal: Bool {
        guard code == .handshakeFailed, let failure else { return false }
        switch failure {
        case .peerCertificate, .rejectedByPeer, .protocolVersion, .noSharedCipher, .notTLS: return true
        case .peerClosed, .other: return false
        }
    }

    /// OpenSSL's queued errors of this thread as one line (and the queue emptied), or `fallback`.
    static func drainOpenSSLErrors(or fallback: String = "no reason given by OpenSSL") -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }
}
