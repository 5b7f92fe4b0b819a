/// Where an endpoint listens, written as Python's `multiprocessing` writes addresses.
///
/// TOML has no tuples, so Python's `("127.0.0.1", 6000)` is written `"127.0.0.1:6000"` and
/// `("::1", 6000)` is `"[::1]:6000"`. A path containing `/` is an AF_UNIX socket file; `"@name"` or
/// Python's `"\0name"` is a Linux abstract AF_UNIX name. `\\.\pipe\NAME` (AF_PIPE) is refused.
public enum EndpointAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address or host name and a TCP port: `host:port`.
    case inet(host: String, port: Int)
    /// An IPv6 address and a TCP port: `[addr]:port`.
    case inet6(host: String, port: Int)
    /// An AF_UNIX socket file: a path containing `/`.
    case unixPath(String)
    /// A Linux abstract AF_UNIX name, without its leading NUL: `@name`.
    case unixAbstract(String)
    /// A listening socket passed by systemd (socket activation) under `FileDescriptorName=`;
    /// written `socket = "NAME"` in an endpoint instead of `address`.
    case systemdSocket(String)

    /// The longest `sun_path`, without its terminating NUL (Linux: 108 bytes with the NUL).
    public static let maxUnixPathLength = 107

    /// Parses an address; the error message says which forms are accepted.
    public init(parsing text: String) throws(AddressError) {
        guard !text.isEmpty else {
            throw AddressError("the address is empty")
        }
        if text.hasPrefix("\\\\") {
            throw AddressError("\(text) is an AF_PIPE address: named pipes exist on Windows only; use host:port or a socket path")
        }
        if text.hasPrefix("@") || text.hasPrefix("\0") {
            let name = String(text.dropFirst())
            guard !name.isEmpty else { throw AddressError("abstract AF_UNIX address needs a name after @") }
            guard name.utf8.count <= Self.maxUnixPathLength - 1 else {
                throw AddressError("abstract name is \(name.utf8.count) bytes; at most \(Self.maxUnixPathLength - 1)")
            }
            self = .unixAbstract(name)
            return
        }
        guard !text.utf8.contains(0) else {
            throw AddressError("a NUL character may only start an abstract AF_UNIX name (\"\\u0000name\" or \"@name\")")
        }
        if text.contains("/") {
            guard text.utf8.count <= Self.maxUnixPathLength else {
                throw AddressError("socket path is \(text.utf8.count) bytes; AF_UNIX allows at most \(Self.maxUnixPathLength)")
            }
            self = .unixPath(text)
            return
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw AddressError("\"\(text)\" is not an address: use \"host:port\", \"[v6addr]:port\", a socket path with a /, or \"@name\"")
        }
        let hostPart = text[..<colon]
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw AddressError("port \"\(portText)\" must be a number from 0 to 65535")
        }
        if hostPart.hasPrefix("[") && hostPart.hasSuffix("]") {
            let host = String(hostPart.dropFirst().dropLast())
            guard !host.isEmpty else { throw AddressError("empty IPv6 host in \"\(text)\"") }
            self = .inet6(host: host, port: port)
            return
        }
        guard !hostPart.isEmpty, !hostPart.contains(":") else {
            throw AddressError("host in \"\(text)\" is empty or an IPv6 address without brackets: write [addr]:port")
        }
        self = .inet(host: String(hostPart), port: port)
    }

    /// The address as it is written in the config and in logs.
    public var description: String {
        switch self {
        case .inet(let host, let port): return "\(host):\(port)"
        case .inet6(let host, let port): return "[\(host)]:\(port)"
        case .unixPath(let path): return path
        case .unixAbstract(let name): return "@\(name)"
        case .systemdSocket(let name): return "systemd socket \(name)"
        }
    }

    /// The same address with another port; unix addresses are returned unchanged.
    public func withPort(_ port: Int) -> EndpointAddress {
        switch self {
        case .inet(let host, _): return .inet(host: host, port: port)
        case .inet6(let host, _): return .inet6(host: host, port: port)
        case .unixPath, .unixAbstract, .systemdSocket: return self
        }
    }
}

/// Why an address string was refused.
public struct AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong with the address and which forms are accepted.
    public let description: String

    /// An error that says `description`.
    public init(_ description: String) { self.description = description }
}
