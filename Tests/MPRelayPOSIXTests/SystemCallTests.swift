import Glibc
import MPRelayPOSIX
import Testing

/// The wrappers against real descriptors: socket pairs and pipes of this process.
struct SystemCallTests {
    /// A connected AF_UNIX stream pair, nonblocking when asked.
    static func socketPair(nonblocking: Bool) -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonblocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        precondition(socketpair(AF_UNIX, type, 0, &fds) == 0)
        return (fds[0], fds[1])
    }

    @Test func emptyNonblockingSocketWouldBlock() throws {
        let (a, b) = Self.socketPair(nonblocking: true)
        defer { SystemCall.close(a); SystemCall.close(b) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = try buffer.withUnsafeMutableBytes { try SystemCall.receive(a, into: $0) }
        #expect(count == nil)
        #expect(buffer.withUnsafeMutableBytes { SocketIO.read(a, into: $0) } == .wouldBlock)
    }

    @Test func bytesSentArriveAndEndOfFileIsZero() throws {
        let (a, b) = Self.socketPair(nonblocking: true)
        defer { SystemCall.close(a) }
        let sent = try [UInt8]("hello".utf8).withUnsafeBytes { try SystemCall.send(b, $0) }
        #expect(sent == 5)
        SystemCall.shutdown(b, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(buffer.withUnsafeMutableBytes { SocketIO.read(a, into: $0) } == .transferred(5))
        #expect(Array(buffer[..<5]) == Array("hello".utf8))
        #expect(buffer.withUnsafeMutableBytes { SocketIO.read(a, into: $0) } == .endOfFile)
        SystemCall.close(b)
    }

    @Test func fullNonblockingSocketWouldBlockOnSend() {
        let (a, b) = Self.socketPair(nonblocking: true)
        defer { SystemCall.close(a); SystemCall.close(b) }
        let chunk = [UInt8](repeating: 7, count: 65_536)
        var last = IOResult.transferred(0)
        for _ in 0..<1_000 {
            last = chunk.withUnsafeBytes { SocketIO.write(a, $0) }
            if last == .wouldBlock { break }
        }
        #expect(last == .wouldBlock)
    }

    @Test func sendToAClosedPeerFailsWithEPIPEAndNoSignal() {
        let (a, b) = Self.socketPair(nonblocking: false)
        SystemCall.close(b)
        defer { SystemCall.close(a) }
        // Without MSG_NOSIGNAL this would kill the test process with SIGPIPE.
        #expect([UInt8](repeating: 1, count: 8).withUnsafeBytes { SocketIO.write(a, $0) } == .failed(EPIPE))
    }

    @Test func failuresNameTheCallAndErrno() {
        #expect(throws: SystemCallError("open", errno: ENOENT)) {
            try SystemCall.open("/nonexistent-mprelay-test/file", O_RDONLY)
        }
        #expect(SystemCallError("open", errno: ENOENT).description == "open: No such file or directory")
    }

    @Test func connectToANameNobodyListensOnIsRefused() throws {
        let fd = try SystemCall.socket(AF_UNIX, SOCK_STREAM)
        defer { SystemCall.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let name = Array("\0mprelay-posix-test-\(getpid())".utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count)
        #expect(throws: SystemCallError("connect", errno: ECONNREFUSED)) {
            try withUnsafePointer(to: &address) { pointer throws(SystemCallError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SystemCallError) in
                    try SystemCall.connect(fd, address, length)
                }
            }
        }
    }

    @Test func pollSeesReadableAndTimesOut() throws {
        let (a, b) = Self.socketPair(nonblocking: true)
        defer { SystemCall.close(a); SystemCall.close(b) }
        var descriptors = [pollfd(fd: a, events: Int16(POLLIN), revents: 0)]
        #expect(try SystemCall.poll(&descriptors, timeout: 0) == 0)
        _ = try [UInt8]("x".utf8).withUnsafeBytes { try SystemCall.send(b, $0) }
        #expect(try SystemCall.poll(&descriptors, timeout: 1_000) == 1)
        #expect(descriptors[0].revents & Int16(POLLIN) != 0)
    }

    @Test func descriptorWriteWritesEverythingThroughAPipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { SystemCall.close(fds[0]) }
        let text = String(repeating: "line\n", count: 1_000)
        #expect(DescriptorWrite.all(text, to: fds[1]))
        SystemCall.close(fds[1])
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1_024)
        while let count = try buffer.withUnsafeMutableBytes({ try SystemCall.read(fds[0], into: $0) }), count > 0 {
            received += buffer[..<count]
        }
        #expect(received == Array(text.utf8))
    }

    @Test func descriptorWriteToAClosedReaderReportsFailure() {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        SystemCall.close(fds[0])
        defer { SystemCall.close(fds[1]) }
        // The process ignores SIGPIPE as the daemon does, so the write fails with EPIPE.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        #expect(!DescriptorWrite.all("lost\n", to: fds[1]))
    }
}
