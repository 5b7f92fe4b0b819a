internal import COpenSSL

/// The TLS protocol versions mprelay accepts as a minimum.
public enum TLSVersion: String, Sendable, CaseIterable, Comparable {
    /// TLS 1.2 (RFC 5246).
    case tls12 = "1.2"
    /// TLS 1.3 (RFC 8446).
    case tls13 = "1.3"

    var openSSLValue: Int32 {
        switch self {
        case .tls12: mprelay_tls12_version()
        case .tls13: mprelay_tls13_version()
        }
    }

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.openSSLValue < rhs.openSSLValue }
}
