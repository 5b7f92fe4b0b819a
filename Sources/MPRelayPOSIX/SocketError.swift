import Glibc

/// A failed socket call: what was attempted, on which address, and the errno.
public struct SocketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The system call or step that failed, e.g. `bind`.
    public let operation: String
    /// The address or peer involved.
    public let target: String
    /// The errno, or 0 when the failure is not a system call's.
    public let errno: Int32
    /// Extra explanation when errno alone would not tell the user what to do.
    public let detail: String?

    /// An error for `operation` on `target`, failed with `errno` (0 when no call failed).
    public init(_ operation: String, target: String, errno: Int32, detail: String? = nil) {
        self.operation = operation
        self.target = target
        self.errno = errno
        self.detail = detail
    }

    /// A failed system call on `target`, named as the call itself.
    public init(_ failure: SystemCallError, target: String, detail: String? = nil) {
        self.init(failure.call, target: target, errno: failure.errno, detail: detail)
    }

    /// `operation target failed: strerror (detail)`.
    public var description: String {
        var text = "\(operation) \(target) failed"
        if errno != 0 { text += ": \(String(cString: strerror(errno)))" }
        if let detail { text += " (\(detail))" }
        return text
    }
}
