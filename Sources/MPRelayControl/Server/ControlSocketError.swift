import Glibc

/// The control socket could not be opened: what was attempted, on which path, and the errno.
public struct ControlSocketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The system call or step that failed, e.g. `bind`.
    public let operation: String
    /// The socket path.
    public let path: String
    /// The errno, or 0 when the failure is not a system call's.
    public let errno: Int32
    /// What to do about it, when errno alone would not tell.
    public let detail: String?

    /// Creates an error for `operation` on `path`.
    public init(_ operation: String, path: String, errno: Int32, detail: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// `control socket PATH: OPERATION failed: ERRNO TEXT (DETAIL)`.
    public var description: String {
        var text = "control socket \(path): \(operation) failed"
        if errno != 0 { text += ": \(String(cString: strerror(errno)))" }
        if let detail { text += " (\(detail))" }
        return text
    }
}
