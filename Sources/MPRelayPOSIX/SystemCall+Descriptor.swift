public import Glibc

extension SystemCall {
    /// Reads at most `buffer.count` bytes from `fd` (`read(2)`): the count, 0 at end of file, or
    /// nil when a nonblocking descriptor has nothing to give. `inherited` as in
    /// ``retrying(_:inherited:_:)``.
    ///
    /// - Throws: ``SystemCallError`` of `read`.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, inherited: Bool = false) throws(SystemCallError) -> Int? {
        try retrying("read", inherited: inherited) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes at most `bytes.count` bytes to `fd` (`write(2)`): the count written, or nil when a
    /// nonblocking descriptor has no room. `inherited` as in ``retrying(_:inherited:_:)``.
    ///
    /// - Throws: ``SystemCallError`` of `write`.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, inherited: Bool = false) throws(SystemCallError) -> Int? {
        try retrying("write", inherited: inherited) { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// Receives at most `buffer.count` bytes from socket `fd` (`recv(2)`): the count, 0 when
    /// the peer closed its side, or nil when there is nothing to receive yet.
    ///
    /// - Throws: ``SystemCallError`` of `recv`.
    @inlinable
    public static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, flags: Int32 = 0) throws(SystemCallError) -> Int? {
        try retrying("recv") { Glibc.recv(fd, buffer.baseAddress, buffer.count, flags) }
    }

    /// Sends at most `bytes.count` bytes on socket `fd` (`send(2)`) with `MSG_NOSIGNAL`, so a
    /// peer that went away is `EPIPE`, never SIGPIPE: the count sent, or nil when there is no room.
    ///
    /// - Throws: ``SystemCallError`` of `send`.
    @inlinable
    public static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, flags: Int32 = 0) throws(SystemCallError) -> Int? {
        try retrying("send") { Glibc.send(fd, bytes.baseAddress, bytes.count, flags | Int32(MSG_NOSIGNAL)) }
    }

    /// Opens `path` (`open(2)`) with `flags` and `O_CLOEXEC`.
    ///
    /// - Throws: ``SystemCallError`` of `open`.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(SystemCallError) -> Int32 {
        try blocking("open") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// The status of the open file `fd` (`fstat(2)`).
    ///
    /// - Throws: ``SystemCallError`` of `fstat`.
    public static func status(_ fd: Int32) throws(SystemCallError) -> stat {
        var info = stat()
        _ = try blocking("fstat") { fstat(fd, &info) }
        return info
    }
}
