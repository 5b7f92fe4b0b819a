import Glibc

/// A system call that failed: which call, and the errno it left.
///
/// Thrown by the wrappers of ``SystemCall``; callers that know more (the address, the file, the
/// peer) wrap it in an error of their own that names it, such as ``SocketError``.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call that failed, e.g. `bind`.
    public let call: String
    /// The errno the call left.
    public let errno: Int32

    /// An error for `call`, failed with `errno`.
    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// `call: strerror(errno)`, e.g. `open: No such file or directory`.
    public var description: String {
        "\(call): \(String(cString: strerror(errno)))"
    }
}
