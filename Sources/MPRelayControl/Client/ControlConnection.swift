import Foundation
import Glibc
import MPRelayCommon
import MPRelayPOSIX

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
        do throws(SystemCallError) {
            fd = try SystemCall.socket(AF_UNIX, SOCK_STREAM)
        } catch {
            throw ControlClientError.connect(socketPath, errno: error.errno)
        }
        do throws(SystemCallError) {
            try SystemCall.setTimeout(fd, name: SO_RCVTIMEO, seconds: timeout)
            try SystemCall.setTimeout(fd, name: SO_SNDTIMEO, seconds: timeout)
            try EndpointAddress.withUnixSocketAddress(Array(socketPath.utf8)) { address, length throws(SystemCallError) in
                try SystemCall.connect(fd, address, length)
            }
        } catch {
            throw ControlClientError.connect(socketPath, errno: error.errno)
        }
    }

    // Also when the initializer throws after opening the socket: every stored property is set
    // by then, so deinit runs (closing the descriptor in the initializer too closed it twice).
    deinit { SystemCall.close(fd) }

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
            switch bytes.withUnsafeBytes({ SocketIO.write(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
            case .transferred(let count):
                offset += count
            case .failed(EPIPE), .failed(ECONNRESET):
                return  // refused before it read the request; its answer is waiting to be read
            case .wouldBlock:
                throw ControlClientError(.unreachable, socketPath: socketPath, message: "mprelayd did not take the request in time; is mprelayd running? socket: \(socketPath)")
            case .endOfFile:
                preconditionFailure("a write never reports end of file")
            case .failed(let code):
                throw ControlClientError(.unreachable, socketPath: socketPath, message: "cannot send to \(socketPath): \(String(cString: strerror(code))); is mprelayd running? socket: \(socketPath)")
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
            let reason: String
            switch chunk.withUnsafeMutableBytes({ SocketIO.read(fd, into: $0) }) {
            case .transferred(let count):
                buffered.append(contentsOf: chunk[..<count])
                continue
            case .wouldBlock:
                throw ControlClientError(.unreachable, socketPath: socketPath, message: "no answer within the timeout; is mprelayd running? socket: \(socketPath)")
            case .endOfFile:
                reason = "it closed the connection"
            case .failed(let code):
                reason = String(cString: strerror(code))
            }
            throw ControlClientError(.unreachable, socketPath: socketPath, message: "the daemon at \(socketPath) did not answer: \(reason); is mprelayd running? socket: \(socketPath)")
        }
    }
}
