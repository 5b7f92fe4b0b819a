import MPRelayConfig
import Foundation
import Glibc

/// A blocking connection to the daemon's control socket: one request, one answer line at a time.
///
/// `mprelayctl` opens one per command; tests and scripts may keep one for several requests (the
/// daemon closes a connection idle for longer than its `client_timeout`).
public final class ControlConnection {
    /// The longest answer line read; a longer one is a ``ControlClientError/Kind/badAnswer``.
    public static let maxAnswerBytes = 1 << 30

    /// The socket path connected to.
    public let socketPath: String
    private let fd: Int32
    private var buffered: [UInt8] = []

    /// Connects to `socketPath`; reads and writes give up after `timeout` seconds.
    ///
    /// - Throws: ``ControlClientError``: `unreachable` when nothing listens there,
    ///   `permissionDenied` when the file system refuses.
    public init(socketPath: String, timeout: Double) throws(ControlClientError) {
        self.socketPath = socketPath
        guard socketPath.utf8.count <= EndpointAddress.maxUnixPathLength else {
            throw ControlClientError(.unreachable, socketPath: socketPath, message: "the socket path is longer than \(EndpointAddress.maxUnixPathLength) bytes: \(socketPath)")
        }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlClientError.connect(socketPath, errno: errno) }
        var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        let connected = EndpointAddress.withUnixSocketAddress(Array(socketPath.utf8)) { Glibc.connect(fd, $0, $1) }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            throw ControlClientError.connect(socketPath, errno: error)
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends `request` and returns the answer line as received, without its newline.
    ///
    /// A daemon that refuses the caller answers before it reads the request and closes; that
    /// answer is returned all the same.
    ///
    /// - Throws: ``ControlClientError`` when no complete answer line arrives.
    public func send(_ request: ControlRequest) throws(ControlClientError) -> [UInt8] {
        try write(request.line())
        return try readLine()
    }

    /// Decodes an answer line for a command whose result is `Result`.
    ///
    /// - Throws: ``ControlClientError`` of kind `badAnswer` when the line is not such an answer.
    public func decode<Result: Codable & Sendable>(_ line: [UInt8], as type: Result.Type) throws(ControlClientError) -> ControlAnswer<Result> {
        do {
            return try ControlProtocol.makeDecoder().decode(ControlAnswer<Result>.self, from: Data(line))
        } catch {
            let text = String(decoding: line.prefix(200), as: UTF8.self)
            throw ControlClientError(.badAnswer, socketPath: socketPath, message: "the daemon at \(socketPath) sent an answer this mprelayctl cannot read (\(error)): \(text)")
        }
    }

    private func write(_ bytes: [UInt8]) throws(ControlClientError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if count >= 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR:
                continue
            case EPIPE, ECONNRESET:
                return  // refused before it read the request; its answer is waiting to be read
            case EAGAIN, EWOULDBLOCK:
                throw ControlClientError(.unreachable, socketPath: socketPath, message: "mprelayd did not take the request in time; is mprelayd running? socket: \(socketPath)")
            default:
                throw ControlClientError(.unreachable, socketPath: socketPath, message: "cannot send to \(socketPath): \(String(cString: strerror(errno))); is mprelayd running? socket: \(socketPath)")
            }
        }
    }

    private func readLine() throws(ControlClientError) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffered[..<newline])
                buffered.removeFirst(newline + 1)
                return line
            }
            guard buffered.count <= Self.maxAnswerBytes else {
                throw ControlClientError(.badAnswer, socketPath: socketPath, message: "the answer from \(socketPath) is longer than \(Self.maxAnswerBytes) bytes")
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffered.append(contentsOf: chunk[..<count])
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw ControlClientError(.unreachable, socketPath: socketPath, message: "no answer within the timeout; is mprelayd running? socket: \(socketPath)")
            }
            let reason = count == 0 ? "it closed the connection" : String(cString: strerror(errno))
            throw ControlClientError(.unreachable, socketPath: socketPath, message: "the daemon at \(socketPath) did not answer: \(reason); is mprelayd running? socket: \(socketPath)")
        }
    }
}
