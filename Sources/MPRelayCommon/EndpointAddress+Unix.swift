public import Glibc

extension EndpointAddress {
    /// The `sun_path` bytes of an AF_UNIX address (a leading NUL for abstract names), or nil for
    /// AF_INET and AF_INET6.
    public var unixPathBytes: [UInt8]? {
        switch self {
        case .unixPath(let path): return Array(path.utf8)
        case .unixAbstract(let name): return [0] + Array(name.utf8)
        case .inet, .inet6, .systemdSocket: return nil
        }
    }

    /// Calls `body` with a `sockaddr_un` holding `sunPath` and its exact length: abstract names
    /// are not NUL-terminated, paths are.
    public static func withUnixSocketAddress<Result, Failure: Error>(
        _ sunPath: [UInt8],
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        precondition(sunPath.count < MemoryLayout.size(ofValue: address.sun_path), "address lengths are checked when parsed")
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: sunPath) }
        let length = MemoryLayout<sa_family_t>.size + sunPath.count + (sunPath.first == 0 ? 0 : 1)
        return try withUnsafePointer(to: &address) { pointer throws(Failure) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(Failure) in try body(address, socklen_t(length)) }
        }
    }
}
