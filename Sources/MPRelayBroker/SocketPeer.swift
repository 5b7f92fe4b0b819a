import CMPRelayShims
import Glibc
import MPRelayCommon

/// How logs and the control socket describe the other end of an accepted connection.
enum SocketPeer {
    /// `1.2.3.4:5678`, `[::1]:5678`, or `pid 42 uid 1000` for AF_UNIX; and the part that
    /// identifies the client across connections for failure counting: the IP, or `uid 1000`.
    static func describe(fd: Int32, address storage: sockaddr_storage) -> (description: String, origin: String) {
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: storage) { raw in
                let address = raw.loadUnaligned(as: sockaddr_in.self)
                let ip = ipString(AF_INET, address.sin_addr)
                return ("\(ip):\(UInt16(bigEndian: address.sin_port))", ip)
            }
        case AF_INET6:
            return withUnsafeBytes(of: storage) { raw in
                let address = raw.loadUnaligned(as: sockaddr_in6.self)
                let ip = ipString(AF_INET6, address.sin6_addr)
                return ("[\(ip)]:\(UInt16(bigEndian: address.sin6_port))", ip)
            }
        case AF_UNIX:
            var pid = pid_t()
            var uid = uid_t()
            var gid = gid_t()
            guard mprelay_peer_credentials(fd, &pid, &uid, &gid) == 0 else { return ("unix peer", "unix peer") }
            return ("pid \(pid) uid \(uid)", "uid \(uid)")
        default:
            return ("unknown peer", "unknown peer")
        }
    }

    /// The address a bound socket listens on, as mprelay writes addresses.
    static func localAddress(of fd: Int32) -> EndpointAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        switch Int32(storage.ss_family) {
        case AF_INET, AF_INET6:
            let (_, host) = describe(fd: -1, address: storage)
            let port = port(of: storage)
            return storage.ss_family == sa_family_t(AF_INET) ? .inet(host: host, port: port) : .inet6(host: host, port: port)
        default:
            let pathLength = max(0, Int(length) - MemoryLayout<sa_family_t>.size)
            let path = withUnsafeBytes(of: storage) { raw in
                Array(raw[MemoryLayout<sa_family_t>.size..<(MemoryLayout<sa_family_t>.size + pathLength)])
            }
            if path.first == 0 { return .unixAbstract(String(decoding: path.dropFirst(), as: UTF8.self)) }
            return .unixPath(String(decoding: path.prefix { $0 != 0 }, as: UTF8.self))
        }
    }

    static func port(of storage: sockaddr_storage) -> Int {
        withUnsafeBytes(of: storage) { raw in
            switch Int32(storage.ss_family) {
            case AF_INET: return Int(UInt16(bigEndian: raw.loadUnaligned(as: sockaddr_in.self).sin_port))
            case AF_INET6: return Int(UInt16(bigEndian: raw.loadUnaligned(as: sockaddr_in6.self).sin6_port))
            default: return 0
            }
        }
    }

    private static func ipString<Address>(_ family: Int32, _ address: Address) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        withUnsafeBytes(of: address) { raw in
            _ = inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
