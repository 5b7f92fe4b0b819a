import Glibc
import MPRelayBroker
import MPRelayCommon
import MPRelayConfig
import MPRelayControl
import MPRelayPOSIX

/// Opens the control socket file: the broker's ``ListeningSocket`` with the control socket's
/// backlog, after creating a missing parent directory when asked.
enum ControlListener {
    /// Control clients are few; the kernel queues this many while the control queue is busy.
    static let backlog: Int32 = 64

    /// Binds and listens at `path` with the file mode `mode`. A stale socket file is replaced
    /// only when nothing answers on it. When `createDirectory` is true a missing parent directory
    /// is created with mode 0755.
    ///
    /// - Throws: ``SocketError`` naming the step that failed and the path.
    static func open(path: String, mode: UInt32, createDirectory: Bool) throws(SocketError) -> ListeningSocket {
        guard path.utf8.count <= EndpointAddress.maxUnixPathLength else {
            throw SocketError(
                "bind",
                target: "control socket \(path)",
                errno: ENAMETOOLONG,
                detail: "AF_UNIX paths are at most \(EndpointAddress.maxUnixPathLength) bytes; set [control] socket"
            )
        }
        if createDirectory, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let directory = String(path[..<slash])
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw SocketError("mkdir \(directory) for", target: "control socket \(path)", errno: errno)
            }
        }
        return try ListeningSocket.open(.unixPath(path), mode: mode, backlog: backlog)
    }
}
