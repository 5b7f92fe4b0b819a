import CSystemd
import Glibc

/// The listening sockets systemd passed to mprelayd (socket activation, sd_listen_fds(3)),
/// by the name each got from `FileDescriptorName=` in mprelay.socket.
///
/// An endpoint written `socket = "NAME"` takes its socket with ``claim(_:)`` instead of binding
/// an address. Once every endpoint has claimed, ``checkAllClaimed()`` turns any socket left over
/// into a startup error: a socket nobody accepts on would make clients hang until they time out.
///
/// A socket without `FileDescriptorName=` is named after its socket unit (`mprelay.socket`).
public struct ListenFileDescriptors: Sendable {
    /// One socket systemd passed.
    public struct Socket: Equatable, Sendable, CustomStringConvertible {
        /// Its `FileDescriptorName=` (several sockets may share one).
        public let name: String
        /// The descriptor, from `SD_LISTEN_FDS_START` (3) on.
        public let fd: Int32

        /// Describes a passed socket.
        public init(name: String, fd: Int32) {
            self.name = name
            self.fd = fd
        }

        /// The address it listens on, as mprelay writes addresses (`host:port`, `[v6]:port`, a
        /// socket path, `@abstract`), for log lines and errors.
        public var localAddress: String { SocketAddressText.local(fd) }

        /// `NAME (fd N)`.
        public var description: String { "\"\(name)\" (fd \(fd))" }
    }

    /// Every socket passed, in descriptor order.
    public let sockets: [Socket]
    /// The sockets no ``claim(_:)`` has taken yet, in descriptor order.
    public private(set) var unclaimed: [Socket]
    private var claimedNames: Set<String> = []

    /// Wraps sockets obtained some other way (tests, or a caller with its own discovery).
    public init(sockets: [Socket]) {
        self.sockets = sockets
        self.unclaimed = sockets
    }

    /// The sockets systemd passed to this process, or none when it was not socket-activated.
    ///
    /// Call it once, early, before any thread opens descriptors of its own.
    ///
    /// - Parameter unsetEnvironment: removes `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES`
    ///   so that no child process believes the sockets are its own.
    /// - Throws: ``SystemdError/listenFileDescriptorsFailed`` when those variables are malformed.
    public static func inherited(unsetEnvironment: Bool = true) throws(SystemdError) -> ListenFileDescriptors {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(unsetEnvironment ? 1 : 0, &names)
        guard count >= 0 else { throw SystemdError.listenFileDescriptorsFailed(errno: -count) }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        let sockets = (0..<count).map { index in
            Socket(
                name: names?[Int(index)].map { String(cString: $0) } ?? "unknown",
                fd: SD_LISTEN_FDS_START + index
            )
        }
        return ListenFileDescriptors(sockets: sockets)
    }

    /// The distinct names passed, in descriptor order.
    public var names: [String] {
        var seen: Set<String> = []
        return sockets.map(\.name).filter { seen.insert($0).inserted }
    }

    /// Takes every socket named `name` for one endpoint, checks that each is a listening
    /// `SOCK_STREAM` socket, and makes it nonblocking and close-on-exec.
    ///
    /// A name usually maps to one socket; a socket unit with several `ListenStream=` lines and
    /// one `FileDescriptorName=` passes several, and the endpoint then accepts on each.
    ///
    /// - Parameter name: the endpoint's `socket = "NAME"`.
    /// - Returns: the sockets, in descriptor order; never empty.
    /// - Throws: ``SystemdError/socketNotPassed`` when systemd passed no socket of that name,
    ///   ``SystemdError/socketAlreadyClaimed`` when another endpoint took it, and
    ///   ``SystemdError/notAListeningStreamSocket`` when one is a datagram or non-listening socket.
    public mutating func claim(_ name: String) throws(SystemdError) -> [Socket] {
        guard !claimedNames.contains(name) else { throw SystemdError.socketAlreadyClaimed(name) }
        let matching = unclaimed.filter { $0.name == name }
        guard !matching.isEmpty else { throw SystemdError.socketNotPassed(name, passed: names) }
        for socket in matching {
            let result = sd_is_socket(socket.fd, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), 1)
            guard result > 0 else { throw SystemdError.notAListeningStreamSocket(socket, errno: result < 0 ? -result : 0) }
            let flags = fcntl(socket.fd, F_GETFL)
            if flags >= 0 && flags & O_NONBLOCK == 0 { _ = fcntl(socket.fd, F_SETFL, flags | O_NONBLOCK) }
            let descriptorFlags = fcntl(socket.fd, F_GETFD)
            if descriptorFlags >= 0 { _ = fcntl(socket.fd, F_SETFD, descriptorFlags | FD_CLOEXEC) }
        }
        claimedNames.insert(name)
        unclaimed.removeAll { $0.name == name }
        return matching
    }

    /// Fails if any passed socket is still unclaimed: call it once every endpoint has claimed.
    ///
    /// - Throws: ``SystemdError/unclaimedSockets``, naming each socket, its address, and the
    ///   `socket = "NAME"` line that would use it.
    public func checkAllClaimed() throws(SystemdError) {
        guard unclaimed.isEmpty else { throw SystemdError.unclaimedSockets(unclaimed) }
    }
}
