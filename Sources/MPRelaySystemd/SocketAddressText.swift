import Glibc

/// A bound socket's address as mprelay writes addresses, for messages only.
enum SocketAddressText {
    /// The local address of `fd`: `host:port`, `[v6]:port`, a path, `@name`, or why it is unknown.
    static func local(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return "address unknown: \(String(cString: strerror(errno)))" }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { raw in
                var address = raw.load(as: sockaddr_in.self)
                return "\(numericHost(&address.sin_addr, family: AF_INET)):\(UInt16(bigEndian: address.sin_port))"
            }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { raw in
                var address = raw.load(as: sockaddr_in6.self)
                return "[\(numericHost(&address.sin6_addr, family: AF_INET6))]:\(UInt16(bigEndian: address.sin6_port))"
            }
        case AF_UNIX:
            let pathLength = Int(length) - MemoryLayout<sa_family_t>.size
            guard pathLength > 0 else { return "unnamed AF_UNIX socket" }
            return withUnsafeBytes(of: &storage) { raw in
                let path = raw[MemoryLayout<sa_family_t>.size..<(MemoryLayout<sa_family_t>.size + pathLength)]
                if path.first == 0 { return "@" + String(decoding: path.dropFirst(), as: UTF8.self) }
                return String(decoding: path.prefix { $0 != 0 }, as: UTF8.self)
            }
        default:
            return "address family \(storage.ss_family)"
        }
    }

    private static func numericHost<Address>(_ address: inout Address, family: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let converted = withUnsafePointer(to: &address) { inet_ntop(family, $0, &text, socklen_t(text.count)) }
        guard converted != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
