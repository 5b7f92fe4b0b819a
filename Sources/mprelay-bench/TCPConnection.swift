import Glibc
import MPRelayCommon
import MPRelayPOSIX

/// A blocking TCP connection with `TCP_NODELAY`, for servers that speak no multiprocessing handshake.
enum TCPConnection {
    /// Connects to a `host:port` or `[v6]:port` address and returns the socket.
    static func open(_ address: EndpointAddress) throws(BenchError) -> Int32 {
        let (host, port, family): (String, Int, Int32)
        switch address {
        case .inet(let name, let number): (host, port, family) = (name, number, AF_INET)
        case .inet6(let name, let number): (host, port, family) = (name, number, AF_INET6)
        case .unixPath, .unixAbstract, .systemdSocket:
            throw BenchError(.usage, "\(address) is not a host:port address; this protocol needs one")
        }
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw BenchError(.setup, "cannot resolve \(address)")
        }
        defer { freeaddrinfo(results) }
        let fd: Int32
        do {
            fd = try SystemCall.socket(family, SOCK_STREAM) { fd throws(SystemCallError) in
                try SystemCall.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen)
            }
        } catch {
            throw BenchError(.setup, "\(error.call) \(address): \(String(cString: strerror(error.errno)))")
        }
        SocketOptions.setNoDelay(fd)
        SocketOptions.setTimeouts(fd, seconds: SocketOptions.ioTimeout)
        return fd
    }
}
