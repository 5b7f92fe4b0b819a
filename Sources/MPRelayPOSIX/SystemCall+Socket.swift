public import Glibc

extension SystemCall {
    /// A new socket (`socket(2)`), close-on-exec.
    ///
    /// - Throws: ``SystemCallError`` of `socket`.
    public static func socket(_ domain: Int32, _ type: __socket_type, nonblocking: Bool = false) throws(SystemCallError) -> Int32 {
        var flags = Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonblocking { flags |= Int32(SOCK_NONBLOCK.rawValue) }
        return try blocking("socket") { Glibc.socket(domain, flags, 0) }
    }

    /// A new socket, as ``socket(_:_:nonblocking:)`` makes it, that `setUp` binds or connects;
    /// closed again when `setUp` fails.
    ///
    /// - Throws: ``SystemCallError`` of `socket`, or what `setUp` threw.
    public static func socket(
        _ domain: Int32,
        _ type: __socket_type,
        nonblocking: Bool = false,
        setUp: (Int32) throws(SystemCallError) -> Void
    ) throws(SystemCallError) -> Int32 {
        let fd = try socket(domain, type, nonblocking: nonblocking)
        do {
            try setUp(fd)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Binds `fd` to `address` (`bind(2)`).
    ///
    /// - Throws: ``SystemCallError`` of `bind`.
    public static func bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(SystemCallError) {
        _ = try blocking("bind") { Glibc.bind(fd, address, length) }
    }

    /// Makes `fd` a listening socket with room for `backlog` pending connections (`listen(2)`).
    ///
    /// - Throws: ``SystemCallError`` of `listen`.
    public static func listen(_ fd: Int32, backlog: Int32) throws(SystemCallError) {
        _ = try blocking("listen") { Glibc.listen(fd, backlog) }
    }

    /// Accepts one pending connection, nonblocking and close-on-exec (`accept4(2)`), filling
    /// `address` when given; nil when none is pending.
    ///
    /// - Throws: ``SystemCallError`` of `accept4`; `ECONNABORTED` means that one connection
    ///   went away before it was accepted, and the next may be accepted at once.
    public static func accept(
        _ fd: Int32,
        address: UnsafeMutablePointer<sockaddr>? = nil,
        length: UnsafeMutablePointer<socklen_t>? = nil
    ) throws(SystemCallError) -> Int32? {
        try retrying("accept4") {
            acceptShim(fd, address, length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
        }
    }

    /// Connects `fd` to `address` (`connect(2)`). On a blocking socket this returns once the
    /// connection is made.
    ///
    /// `EINTR` is not retried: the connection goes on in the background and a second `connect`
    /// would fail with `EALREADY`. The call waits for it instead, as `connect` itself would have.
    ///
    /// - Throws: ``SystemCallError`` of `connect`, with the connection's own error once known.
    public static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(SystemCallError) {
        guard Glibc.connect(fd, address, length) != 0 else { return }
        let code = errno
        guard code == EINTR else {
            preconditionIsNotBug(code, in: "connect")
            throw SystemCallError("connect", errno: code)
        }
        var descriptor = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
        _ = try poll(&descriptor, timeout: -1)
        var failure: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        _ = try blocking("getsockopt") { getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size) }
        if failure != 0 { throw SystemCallError("connect", errno: failure) }
    }

    /// Shuts down one or both directions of `fd` (`shutdown(2)`), ignoring a peer that is
    /// already gone.
    public static func shutdown(_ fd: Int32, _ how: Int32) {
        let result = Glibc.shutdown(fd, how)
        if result != 0 { preconditionIsNotBug(errno, in: "shutdown") }
    }

    /// Closes `fd` (`close(2)`), never retried: Linux releases the number even when `close`
    /// reports `EINTR`, and a second call could close a descriptor another thread just opened.
    public static func close(_ fd: Int32) {
        if Glibc.close(fd) != 0 { preconditionIsNotBug(errno, in: "close") }
    }

    /// Sets an integer socket option (`setsockopt(2)`).
    ///
    /// - Throws: ``SystemCallError`` of `setsockopt`.
    public static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(SystemCallError) {
        var value = value
        _ = try blocking("setsockopt") { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// Sets a `timeval` socket option (`SO_RCVTIMEO`, `SO_SNDTIMEO`) to `seconds`.
    ///
    /// - Throws: ``SystemCallError`` of `setsockopt`.
    public static func setTimeout(_ fd: Int32, name: Int32, seconds: Double) throws(SystemCallError) {
        var interval = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.towardZero)) * 1_000_000))
        _ = try blocking("setsockopt") { setsockopt(fd, SOL_SOCKET, name, &interval, socklen_t(MemoryLayout<timeval>.size)) }
    }

    /// Waits for events on `descriptors` (`poll(2)`), at most `timeout` milliseconds (-1: no
    /// limit): the number of descriptors with events. A signal restarts the wait with the whole
    /// timeout, so a caller with a deadline computes the next timeout from the clock.
    ///
    /// - Throws: ``SystemCallError`` of `poll`.
    public static func poll(_ descriptors: inout [pollfd], timeout: Int32) throws(SystemCallError) -> Int {
        let count = nfds_t(descriptors.count)
        return Int(try descriptors.withUnsafeMutableBufferPointer { buffer throws(SystemCallError) in
            try blocking("poll") { Glibc.poll(buffer.baseAddress, count, timeout) }
        })
    }

    /// Sleeps for `seconds`, the rest of it again after a signal.
    public static func sleep(seconds: Double) {
        var pause = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.towardZero)) * 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&pause, &remaining) != 0 {
            precondition(errno == EINTR, "nanosleep failed: \(String(cString: strerror(errno)))")
            pause = remaining
        }
    }
}
