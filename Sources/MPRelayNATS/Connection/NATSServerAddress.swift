/// One server of the list a connection rotates through: `nats://host:port`, or
/// `tls://host:port` for a server that must speak TLS.
public struct NATSServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host name or IP address (IPv6 without brackets); a TLS server's certificate must
    /// carry it.
    public let host: String
    /// The client port.
    public let port: Int
    /// Whether the URL said `tls://`: the connection fails unless TLS is set up
    /// (``NATSConnectionOptions/tls``) and the server offers it.
    public let requiresTLS: Bool

    /// Parses `nats://host[:port]`, `tls://host[:port]`, `host[:port]` or
    /// `nats://[v6addr]:port`; the port defaults to 4222.
    ///
    /// - Throws: ``NATSError/invalidURL(_:)``.
    public init(_ url: String) throws(NATSError) {
        var rest = Substring(url)
        requiresTLS = rest.hasPrefix("tls://")
        if rest.hasPrefix("nats://") || requiresTLS { rest = rest.dropFirst(requiresTLS ? 6 : 7) }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidURL(url) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL(url) }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty, !host.contains(where: { $0 == "/" || $0 == "@" || $0 == " " }) else { throw .invalidURL(url) }
        let port = portText.map { Int($0) } ?? 4222
        guard let port, (1...65535).contains(port) else { throw .invalidURL(url) }
        self.host = String(host)
        self.port = port
    }

    /// `nats://host:port`, or `tls://host:port`.
    public var description: String {
        let scheme = requiresTLS ? "tls" : "nats"
        return host.contains(":") ? "\(scheme)://[\(host)]:\(port)" : "\(scheme)://\(host):\(port)"
    }
}
