public import MPRelayTLS

/// TLS to the NATS servers as the `nats_tls_*` keys of `[cluster]` set it: the client context
/// loaded from the files, and the bytes it was loaded from.
///
/// The files are loaded, and refused with the file and the key named, whenever the configuration
/// is read: at start, on a reload and by `--check-config`. The node keeps the context it started
/// with; a reload reads the files again only to compare them with the running ones, and refuses
/// any difference (a renewed certificate included), as it refuses every `[cluster]` change.
/// Hence equality compares the bytes, not the contexts.
public struct NATSClientTLS: Equatable, Sendable {
    /// The client context: trusts the CA file, presents the client certificate if one is set.
    public let context: TLSContext
    /// The bytes of `nats_tls_ca_file`.
    let caBytes: [UInt8]
    /// The bytes of `nats_tls_cert_file`, if set.
    let certificateBytes: [UInt8]?
    /// The bytes of `nats_tls_key_file`, if set.
    let keyBytes: [UInt8]?

    /// Equal when loaded from the same bytes.
    public static func == (lhs: NATSClientTLS, rhs: NATSClientTLS) -> Bool {
        lhs.caBytes == rhs.caBytes && lhs.certificateBytes == rhs.certificateBytes && lhs.keyBytes == rhs.keyBytes
    }
}
