import Glibc
import MPRelayCommon
import MPRelayConfig

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
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError(.setup, "socket: \(String(cString: strerror(errno)))") }
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let error = errno
            close(fd)
            throw BenchError(.setup, "connect \(address): \(String(cString: strerror(error)))")
        }
        SocketOptions.setNoDelay(fd)
        SocketOptions.setTimeouts(fd, seconds: SocketOptions.ioTimeout)
        return fd
    }
}
