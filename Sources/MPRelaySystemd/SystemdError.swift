import Glibc

/// A systemd interface that failed: a notification, the sockets systemd passed, or the journal.
///
/// Errors compare equal by kind, so a test can write `#expect(throws: SystemdError.unclaimedSockets)`;
/// ``description`` names what is at fault and what to change.
public struct SystemdError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case notifyFailed
        case listenFileDescriptorsFailed
        case socketNotPassed
        case socketAlreadyClaimed
        case notAListeningStreamSocket
        case unclaimedSockets
        case journalFailed
    }

    private let code: Code
    /// The errno behind the failure, or 0 when there is none.
    public let errno: Int32
    /// What failed, what is at fault, and what to change.
    public let description: String

    private init(_ code: Code, errno: Int32 = 0, _ description: String) {
        self.code = code
        self.errno = errno
        self.description = description
    }

    /// Errors are equal when they are of the same kind, whatever their details.
    public static func == (lhs: SystemdError, rhs: SystemdError) -> Bool { lhs.code == rhs.code }

    /// sd_notify(3) could not send to `$NOTIFY_SOCKET`.
    public static let notifyFailed = SystemdError(.notifyFailed, "sd_notify failed")
    /// sd_listen_fds_with_names(3) refused the `LISTEN_*` variables systemd set.
    public static let listenFileDescriptorsFailed = SystemdError(.listenFileDescriptorsFailed, "sd_listen_fds_with_names failed")
    /// An endpoint asked for a socket name that systemd did not pass.
    public static let socketNotPassed = SystemdError(.socketNotPassed, "no socket of that name was passed")
    /// Two endpoints asked for the same socket name.
    public static let socketAlreadyClaimed = SystemdError(.socketAlreadyClaimed, "the socket is already claimed")
    /// A passed descriptor is not a listening `SOCK_STREAM` socket.
    public static let notAListeningStreamSocket = SystemdError(.notAListeningStreamSocket, "not a listening stream socket")
    /// systemd passed sockets that no endpoint claimed.
    public static let unclaimedSockets = SystemdError(.unclaimedSockets, "unclaimed sockets")
    /// sd_journal_sendv(3) could not write an entry.
    public static let journalFailed = SystemdError(.journalFailed, "sd_journal_send failed")

    static func notifyFailed(_ state: String, errno: Int32) -> SystemdError {
        let socket = getenv("NOTIFY_SOCKET").map { String(cString: $0) } ?? "(unset)"
        let first = state.split(separator: "\n").first.map(String.init) ?? state
        return SystemdError(
            .notifyFailed,
            errno: errno,
            "sd_notify(\(first)) to NOTIFY_SOCKET=\(socket) failed: \(errnoText(errno)); is the unit Type=notify and NotifyAccess=main?"
        )
    }

    static func listenFileDescriptorsFailed(errno: Int32) -> SystemdError {
        SystemdError(
            .listenFileDescriptorsFailed,
            errno: errno,
            "sd_listen_fds_with_names failed: \(errnoText(errno)); LISTEN_FDS, LISTEN_PID or LISTEN_FDNAMES is malformed (they are systemd's to set, not the unit's Environment=)"
        )
    }

    static func socketNotPassed(_ name: String, passed: [String]) -> SystemdError {
        let detail = passed.isEmpty
            ? "systemd passed no sockets (mprelayd was not socket-activated): start mprelay.socket before mprelay.service, or give the endpoint an address instead"
            : "systemd passed only \(passed.map { "\"\($0)\"" }.joined(separator: ", ")): set FileDescriptorName=\(name) on the ListenStream= in mprelay.socket, or use one of those names"
        return SystemdError(.socketNotPassed, "socket = \"\(name)\": \(detail)")
    }

    static func socketAlreadyClaimed(_ name: String) -> SystemdError {
        SystemdError(.socketAlreadyClaimed, "socket = \"\(name)\": another endpoint already uses this socket; each passed socket serves one endpoint")
    }

    static func notAListeningStreamSocket(_ socket: ListenFileDescriptors.Socket, errno: Int32) -> SystemdError {
        SystemdError(
            .notAListeningStreamSocket,
            errno: errno,
            "socket = \"\(socket.name)\": fd \(socket.fd) is not a listening stream socket\(errno == 0 ? "" : " (\(errnoText(errno)))"); mprelay.socket must use ListenStream= with Accept=no"
        )
    }

    static func unclaimedSockets(_ sockets: [ListenFileDescriptors.Socket]) -> SystemdError {
        let list = sockets.map { "\"\($0.name)\" (fd \($0.fd), \($0.localAddress))" }.joined(separator: ", ")
        let names = Set(sockets.map(\.name)).sorted()
        return SystemdError(
            .unclaimedSockets,
            "systemd passed socket(s) that no endpoint uses: \(list); add an [[endpoint]] with \(names.map { "socket = \"\($0)\"" }.joined(separator: " / ")) to the configuration, or remove the ListenStream= from mprelay.socket"
        )
    }

    static func journalFailed(errno: Int32) -> SystemdError {
        SystemdError(
            .journalFailed,
            errno: errno,
            "sd_journal_send failed: \(errnoText(errno)); check that systemd-journald is running (systemctl status systemd-journald), or set log_target = \"stderr\""
        )
    }

    static func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
