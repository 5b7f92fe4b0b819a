public import Glibc

/// The one family of system-call wrappers every mprelay module calls the kernel through.
///
/// The rules are swift-nio's (`NIOPosix/System.swift`), kept in one place:
/// - `EINTR` is retried here and nowhere else, except by `close`, which is never retried (Linux
///   has released the descriptor whatever it returns).
/// - `EAGAIN`/`EWOULDBLOCK` is a value (`nil`, or ``IOResult/wouldBlock``), not an error, for the
///   calls a nonblocking descriptor makes.
/// - `EBADF` and `EFAULT` are bugs in the caller (a descriptor closed twice, a bad pointer), so
///   they stop the process at once rather than travel on as an error someone logs.
/// - Every other failure throws a ``SystemCallError`` naming the call and its errno.
public enum SystemCall {
    /// Runs `body` until it does not fail with `EINTR`: its non-negative result, or nil when it
    /// failed with `EAGAIN`/`EWOULDBLOCK`.
    ///
    /// - Parameters:
    ///   - call: the call's name, for the error.
    ///   - inherited: whether the descriptor is one the process was started with (stdin,
    ///     stdout, stderr), which its parent may have closed: then `EBADF` is thrown, not a bug.
    ///   - body: the call; it returns a negative value and sets errno on failure.
    /// - Throws: ``SystemCallError`` with `call` and the errno of any other failure.
    @inlinable @inline(__always)
    public static func retrying<Result: FixedWidthInteger>(
        _ call: String,
        inherited: Bool = false,
        _ body: () -> Result
    ) throws(SystemCallError) -> Result? {
        while true {
            let result = body()
            guard result < 0 else { return result }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                return nil
            case EBADF where inherited:
                throw SystemCallError(call, errno: code)
            default:
                preconditionIsNotBug(code, in: call)
                throw SystemCallError(call, errno: code)
            }
        }
    }

    /// Runs `body` like ``retrying(_:_:)``, for calls on blocking descriptors or calls that
    /// cannot return `EAGAIN`: that errno, too, is thrown.
    @inlinable @inline(__always)
    public static func blocking<Result: FixedWidthInteger>(
        _ call: String,
        _ body: () -> Result
    ) throws(SystemCallError) -> Result {
        guard let result = try retrying(call, body) else { throw SystemCallError(call, errno: EAGAIN) }
        return result
    }

    /// Stops the process on an errno that only a bug produces.
    @usableFromInline
    static func preconditionIsNotBug(_ code: Int32, in call: String) {
        precondition(code != EBADF && code != EFAULT, "\(call) failed with \(String(cString: strerror(code))): a bug in mprelay")
    }
}
