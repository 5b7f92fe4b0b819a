import CMPRelayShims
import Glibc

/// The outcome of one nonblocking read or write.
enum IOResult: Equatable {
    /// This many bytes moved (more than zero).
    case transferred(Int)
    /// The socket has nothing to give or no room; wait for the next event.
    case wouldBlock
    /// The peer closed its side (reads only).
    case endOfFile
    /// The connection failed with this errno.
    case failed(Int32)
}

/// Thin wrappers over the socket calls of the relay path: EINTR is retried, EAGAIN is a value,
/// and writes never raise SIGPIPE.
enum SocketIO {
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let count = Glibc.recv(fd, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .transferred(count) }
            if count == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let count = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .transferred(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    /// Sets an integer socket option, ignoring failure (used for optimisations only).
    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }
}
