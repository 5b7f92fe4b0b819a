import Glibc

/// Writes whole buffers to a file descriptor, retrying `EINTR` and short writes: the one loop
/// every mprelay program writes stderr and stdout with.
public enum DescriptorWrite {
    /// Writes all of `bytes` to `fd`, blocking while it is full.
    ///
    /// - Returns: false when a write failed (the descriptor is closed, or its reader went away).
    @discardableResult
    public static func all(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Bool {
        var remaining = bytes
        while !remaining.isEmpty {
            let written = write(fd, remaining.baseAddress, remaining.count)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
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
}
