import Glibc
import MPRelayPOSIX

/// Socket settings every benchmark connection gets.
enum SocketOptions {
    /// Seconds a blocking read or write may wait before the run fails instead of hanging.
    static let ioTimeout = 5.0

    /// Sets `SO_RCVTIMEO` and `SO_SNDTIMEO`, so a blocked call returns `EAGAIN` after `seconds`.
    static func setTimeouts(_ fd: Int32, seconds: Double) {
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        let size = socklen_t(MemoryLayout<timeval>.size)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, size)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, size)
    }

    /// Disables Nagle's algorithm: every benchmark write is a whole batch, sent at once.
    static func setNoDelay(_ fd: Int32) {
        SocketIO.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    }

    /// Waits until `fd` is readable or `milliseconds` pass; true if readable (or hung up).
    static func waitReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
        var entry = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        return ((try? SystemCall.poll(&entry, timeout: milliseconds)) ?? 0) > 0
    }
}
