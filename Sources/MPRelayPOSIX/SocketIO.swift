/// The socket calls of the relay path as values to switch on: ``SystemCall/receive(_:into:flags:)``
/// and ``SystemCall/send(_:_:flags:)`` with every outcome, failures included, an ``IOResult``.
public enum SocketIO {
    /// Receives once from `fd` into `buffer`.
    @inlinable
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        do throws(SystemCallError) {
            guard let count = try SystemCall.receive(fd, into: buffer) else { return .wouldBlock }
            return count == 0 ? .endOfFile : .transferred(count)
        } catch {
            return .failed(error.errno)
        }
    }

    /// Sends once from `bytes` to `fd`, never raising SIGPIPE; `flags` adds to `MSG_NOSIGNAL`
    /// (`MSG_DONTWAIT` on a blocking socket).
    @inlinable
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, flags: Int32 = 0) -> IOResult {
        do throws(SystemCallError) {
            guard let count = try SystemCall.send(fd, bytes, flags: flags) else { return .wouldBlock }
            return .transferred(count)
        } catch {
            return .failed(error.errno)
        }
    }

    /// Sets an integer socket option, ignoring failure (used for optimisations only).
    public static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) {
        _ = try? SystemCall.setOption(fd, level: level, name: name, value: value)
    }
}
