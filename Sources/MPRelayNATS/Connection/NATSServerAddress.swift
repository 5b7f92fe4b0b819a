/// One server of the list a connection rotates through: `nats://host:port`.
public struct NATSServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host name or IP address (IPv6 without brackets).
    public let host: String
    /// The client port.
    public let port: Int

    /// Parses `nats://host[:port]`, `host[:port]` or `nats://[v6addr]:port`; the port defaults
    /// to 4222.
    ///
    /// - Throws: ``NATSError/invalidURL(_:)``.
    public init(_ url: String) throws(NATSError) {
        var rest = Substring(url)
        if rest.hasPrefix("nats://") { rest = rest.dropFirst(7) }
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

    /// `nats://host:port`.
    public var description: String {
        host.contains(":") ? "nats://[\(host)]:\(port)" : "nats://\(host):\(port)"
    }
}
