public import MPRelayCommon
public import MPRelayPOSIX
import CMPRelayShims
import Glibc

/// A bound, listening, nonblocking socket: a relay endpoint's, or the control socket's.
public struct ListeningSocket: Sendable {
    /// The backlog passed to listen(2); the kernel caps it at somaxconn.
    public static let defaultBacklog: Int32 = 4096

    /// The listening descriptor.
    public let fd: Int32
    /// The address actually bound: for port 0, the port the kernel chose.
    public let boundAddress: EndpointAddress
    /// Whether systemd passed this socket: it is systemd's to close and its file systemd's to remove.
    var isInherited = false
    /// The device and inode of the socket file bound, so ``removeFile()`` never unlinks a file
    /// another process has put at the path since.
    private var fileIdentity: (dev_t, ino_t)?

    /// Takes over a listening socket systemd passed (socket activation), already bound.
    static func adopt(_ fd: Int32) -> ListeningSocket {
        // systemd passes sockets blocking unless the unit says NonBlocking=yes; accepting until
        // EAGAIN would then block the endpoint's queue in accept once the backlog is empty.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var socket = ListeningSocket(fd: fd, boundAddress: SocketPeer.localAddress(of: fd))
        socket.isInherited = true
        return socket
    }

    /// Creates, binds and listens. A stale socket file is replaced only when nothing answers on it;
    /// a socket file gets the permission bits `mode`.
    ///
    /// - Throws: ``SocketError`` naming the step and the address.
    public static func open(_ address: EndpointAddress, mode: UInt32, backlog: Int32 = defaultBacklog) throws(SocketError) -> ListeningSocket {
        switch address {
        case .inet(let host, let port):
            return try openInet(address, host: host, port: port, family: AF_INET, backlog: backlog)
        case .inet6(let host, let port):
            return try openInet(address, host: host, port: port, family: AF_INET6, backlog: backlog)
        case .unixPath(let path):
            try removeStaleSocketFile(path)
            let fd = try bindUnix(address)
            guard chmod(path, mode_t(mode)) == 0 else {
                let error = errno
                SystemCall.close(fd)
                unlink(path)
                throw SocketError("chmod", target: path, errno: error)
            }
            var socket = try listenOn(fd, boundAddress: address, backlog: backlog)
            var info = stat()
            if lstat(path, &info) == 0 { socket.fileIdentity = (info.st_dev, info.st_ino) }
            return socket
        case .unixAbstract:
            let fd = try bindUnix(address)
            return try listenOn(fd, boundAddress: address, backlog: backlog)
        case .systemdSocket(let name):
            throw SocketError(
                "listen",
                target: address.description,
                errno: 0,
                detail: "systemd passed no socket named \"\(name)\": add it to mprelay.socket with FileDescriptorName=\(name)"
            )
        }
    }

    private static func openInet(
        _ address: EndpointAddress,
        host: String,
        port: Int,
        family: Int32,
        backlog: Int32
    ) throws(SocketError) -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results else {
            throw SocketError("resolve", target: address.description, errno: 0, detail: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(results) }
        let fd = try bound(family, to: address) { fd throws(SystemCallError) in
            SocketIO.setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            if family == AF_INET6 { SocketIO.setOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1) }
            try SystemCall.bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen)
        }
        return try listenOn(fd, boundAddress: address.withPort(boundPort(fd)), backlog: backlog)
    }

    private static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        return SocketPeer.port(of: storage)
    }

    private static func bindUnix(_ address: EndpointAddress) throws(SocketError) -> Int32 {
        try bound(AF_UNIX, to: address) { fd throws(SystemCallError) in
            try EndpointAddress.withUnixSocketAddress(address.unixPathBytes ?? []) { pointer, length throws(SystemCallError) in
                try SystemCall.bind(fd, pointer, length)
            }
        }
    }

    /// A new nonblocking stream socket of `family` that `bind` bound to `address`.
    private static func bound(
        _ family: Int32,
        to address: EndpointAddress,
        _ bind: (Int32) throws(SystemCallError) -> Void
    ) throws(SocketError) -> Int32 {
        do {
            return try SystemCall.socket(family, SOCK_STREAM, nonblocking: true, setUp: bind)
        } catch {
            throw SocketError(error, target: address.description)
        }
    }

    private static func listenOn(_ fd: Int32, boundAddress: EndpointAddress, backlog: Int32) throws(SocketError) -> ListeningSocket {
        do {
            try SystemCall.listen(fd, backlog: backlog)
        } catch {
            SystemCall.close(fd)
            throw SocketError(error, target: boundAddress.description)
        }
        return ListeningSocket(fd: fd, boundAddress: boundAddress)
    }

    /// Unlinks the socket file if it is still the one bound here (not for inherited sockets).
    public func removeFile() {
        guard !isInherited, case .unixPath(let path) = boundAddress, let fileIdentity else { return }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_dev == fileIdentity.0, info.st_ino == fileIdentity.1 else { return }
        unlink(path)
    }

    /// Unlinks `path` if it is a socket that refuses connections; refuses to touch anything else.
    private static func removeStaleSocketFile(_ path: String) throws(SocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw SocketError("bind", target: path, errno: EEXIST, detail: "the path exists and is not a socket; remove it or choose another path")
        }
        let probe: Int32
        do {
            probe = try SystemCall.socket(AF_UNIX, SOCK_STREAM)
        } catch {
            throw SocketError(error, target: path)
        }
        defer { SystemCall.close(probe) }
        let connected = (try? EndpointAddress.withUnixSocketAddress(Array(path.utf8)) { pointer, length throws(SystemCallError) in
            try SystemCall.connect(probe, pointer, length)
        }) != nil
        if connected {
            throw SocketError("bind", target: path, errno: EADDRINUSE, detail: "another process is listening on this socket")
        }
        unlink(path)
    }
}
