import Glibc
import MPRelayConfig

/// The bound, listening, nonblocking control socket file.
struct ControlListener: Sendable {
    /// Control clients are few; the kernel queues this many while the control queue is busy.
    static let backlog: Int32 = 64

    let fd: Int32
    let path: String
    /// The device and inode of the socket file bound, so ``removeFile()`` never unlinks a file
    /// another process has put at the path since.
    private let identity: (dev_t, ino_t)?

    /// Creates, binds and listens, with the file mode `mode`.
    ///
    /// A stale socket file at `path` is replaced only when nothing answers on it. When
    /// `createDirectory` is true a missing parent directory is created with mode 0755.
    ///
    /// - Throws: ``ControlSocketError`` naming the step that failed.
    static func open(path: String, mode: UInt32, createDirectory: Bool) throws(ControlSocketError) -> ControlListener {
        guard path.utf8.count <= EndpointAddress.maxUnixPathLength else {
            throw ControlSocketError("bind", path: path, errno: ENAMETOOLONG, detail: "AF_UNIX paths are at most \(EndpointAddress.maxUnixPathLength) bytes; set [control] socket")
        }
        if createDirectory, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let directory = String(path[..<slash])
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw ControlSocketError("mkdir \(directory)", path: path, errno: errno)
            }
        }
        try removeStaleFile(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlSocketError("socket", path: path, errno: errno) }
        func fail(_ operation: String, _ error: Int32, unlinking: Bool) -> ControlSocketError {
            close(fd)
            if unlinking { unlink(path) }
            return ControlSocketError(operation, path: path, errno: error)
        }
        guard EndpointAddress.withUnixSocketAddress(Array(path.utf8), { bind(fd, $0, $1) }) == 0 else {
            throw fail("bind", errno, unlinking: false)
        }
        guard chmod(path, mode_t(mode)) == 0 else { throw fail("chmod", errno, unlinking: true) }
        guard listen(fd, backlog) == 0 else { throw fail("listen", errno, unlinking: true) }
        var info = stat()
        let identity = lstat(path, &info) == 0 ? (info.st_dev, info.st_ino) : nil
        return ControlListener(fd: fd, path: path, identity: identity)
    }

    /// Unlinks the socket file if it is still the one this listener bound.
    func removeFile() {
        var info = stat()
        guard let identity, lstat(path, &info) == 0, info.st_dev == identity.0, info.st_ino == identity.1 else { return }
        unlink(path)
    }

    /// Unlinks `path` if it is a socket nobody answers on; refuses to touch anything else.
    private static func removeStaleFile(_ path: String) throws(ControlSocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ControlSocketError("bind", path: path, errno: EEXIST, detail: "the path exists and is not a socket; remove it or set [control] socket")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { throw ControlSocketError("socket", path: path, errno: errno) }
        defer { close(probe) }
        if EndpointAddress.withUnixSocketAddress(Array(path.utf8), { connect(probe, $0, $1) }) == 0 {
            throw ControlSocketError("bind", path: path, errno: EADDRINUSE, detail: "another process listens on it, probably another mprelayd; stop it or set [control] socket")
        }
        unlink(path)
    }
}
