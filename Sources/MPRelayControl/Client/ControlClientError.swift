import Glibc

/// Why `mprelayctl` (or any ``ControlConnection``) got no usable answer.
///
/// Equal when the kinds are; the description names the socket and says what to check.
public struct ControlClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of failure, which decide `mprelayctl`'s exit code.
    public enum Kind: Equatable, Sendable {
        /// Nothing answers at the socket path, the connection broke, or no answer came in time.
        case unreachable
        /// The socket file or its directory is not accessible, or the daemon refused the caller.
        case permissionDenied
        /// The daemon answered with something that is not a control answer.
        case badAnswer
    }

    /// What went wrong.
    public let kind: Kind
    /// The socket path involved.
    public let socketPath: String
    /// The explanation.
    public let message: String

    /// Creates an error of `kind` for `socketPath`.
    public init(_ kind: Kind, socketPath: String, message: String) {
        self.kind = kind
        self.socketPath = socketPath
        self.message = message
    }

    /// `connect` failed with `errno`.
    static func connect(_ socketPath: String, errno: Int32) -> ControlClientError {
        let reason = String(cString: strerror(errno))
        if errno == EACCES || errno == EPERM {
            return ControlClientError(.permissionDenied, socketPath: socketPath, message: "cannot connect to \(socketPath): \(reason); the socket file or its directory does not let this user in")
        }
        return ControlClientError(.unreachable, socketPath: socketPath, message: "cannot connect: \(reason); is mprelayd running? socket: \(socketPath)")
    }

    /// The explanation, naming the socket.
    public var description: String { message }

    /// Errors are equal when their kinds are.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.kind == rhs.kind }
}
