import MPRelayConfig
import MPRelayTLS

/// What `--check-config` adds to parsing for TLS endpoints: the certificate and key load through
/// OpenSSL, match, and are valid now, as the broker will require when it starts or reloads.
enum TLSFilesCheck {
    /// The first TLS endpoint whose files do not load, as one line naming the endpoint and the
    /// file; nil when all load.
    static func firstProblem(in configuration: Configuration) -> String? {
        for (index, endpoint) in configuration.endpoints.enumerated() {
            guard let tls = endpoint.tls else { continue }
            do {
                _ = try tls.makeContext()
            } catch {
                return "\(configuration.source): endpoint[\(index + 1)]: \(error)"
            }
        }
        return nil
    }
}
