import Glibc

/// Writes whole buffers to a blocking file descriptor through ``SystemCall/write(_:_:inherited:)``,
/// short writes included: the one writer every mprelay program writes stderr and stdout with.
/// A descriptor its parent closed is a failed write here, not a bug.
public enum DescriptorWrite {
    /// Writes all of `bytes` to `fd`, blocking while it is full.
    ///
    /// - Returns: false when a write failed (the descriptor is closed, or its reader went away).
    @discardableResult
    public static func all(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Bool {
        var remaining = bytes
        while !remaining.isEmpty {
            guard let written = try? SystemCall.write(fd, remaining, inherited: true), written > 0 else { return false }
            remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
        }
        return true
    }

    /// Writes `text` as UTF-8 to `fd`; see ``all(_:to:)-(UnsafeRawBufferPointer,_)``.
    @discardableResult
    public static func all(_ text: String, to fd: Int32) -> Bool {
        var text = text
        return text.withUTF8 { all(UnsafeRawBufferPointer($0), to: fd) }
    }

    /// Writes `line` and a newline to stderr.
    @discardableResult
    public static func standardError(_ line: String) -> Bool {
        all(line + "\n", to: STDERR_FILENO)
    }
}
