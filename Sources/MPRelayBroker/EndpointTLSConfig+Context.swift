public import MPRelayConfig
public import MPRelayTLS

extension EndpointTLSConfig {
    /// Loads the endpoint's certificate, key and client CA into a server context, as a start, a
    /// reload and `--check-config` do.
    ///
    /// - Throws: ``TLSError`` naming the file that does not load, does not match, or is expired.
    public func makeServerContext() throws(TLSError) -> TLSContext {
        try TLSContext.server(
            certificateFile: certificateFile,
            keyFile: keyFile,
            clientCAFile: clientCAFile,
            minimumVersion: minimumVersion == .tls13 ? .tls13 : .tls12
        )
    }
}
