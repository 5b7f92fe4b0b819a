import Foundation
import Glibc

/// A nonblocking AF_UNIX stream pair for the poller's tests, closed when released.
final class SocketPair: Sendable {
    let local: Int32
    let remote: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        local = fds[0]
        remote = fds[1]
    }

    /// Sends `count` bytes on `fd`; returns what `send` returned.
    func send(_ count: Int, to fd: Int32) -> Int {
        let bytes = [UInt8](repeating: 7, count: count)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    deinit {
        close(local)
        close(remote)
    }
}

/// Waits up to 5 s for `condition`; returns whether it came true.
func eventually(_ condition: () -> Bool) async throws -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Reads everything `fd` has now; returns the byte count.
func readAll(_ fd: Int32) -> Int {
    var total = 0
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return total }
        total += count
    }
}
