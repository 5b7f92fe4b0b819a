import Glibc
import MPRelayConfig
import MPRelayProtocol

/// A ``MessageLink`` speaking the NATS text protocol (core NATS, no JetStream), so the same
/// workloads measure nats-server.
///
/// The client sends `CONNECT {"verbose":false,"pedantic":false}`; a receiving link subscribes to
/// the subject equal to its name (`SUB name 1`) and is routable once the `PONG` to its `PING`
/// arrives. Messages go out as `PUB subject #bytes` and arrive as `MSG subject sid [reply] #bytes`;
/// a server `PING` is answered with `PONG`.
final class NATSLink: MessageLink {
    let fileDescriptor: Int32
    private(set) var errorCount = 0
    private(set) var lastError: String?

    private var writeBuffer: [UInt8] = []
    private var readBuffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    /// The longest control line accepted (INFO carries the server's whole description).
    private static let maxLineLength = 64 * 1024
    private static let readSize = 256 * 1024

    /// Connects, and subscribes to `subject` if given; messages to it are routed when this returns.
    init(address: EndpointAddress, subscribeTo subject: PeerName?) throws(BenchError) {
        fileDescriptor = try TCPConnection.open(address)
        readBuffer = .allocate(byteCount: Self.readSize + Self.maxLineLength, alignment: 16)
        do {
            try waitFor { if case .info = $0 { return true } else { return false } }
            writeBuffer.append(contentsOf: Array("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n".utf8))
            if let subject {
                writeBuffer.append(contentsOf: Array("SUB ".utf8))
                writeBuffer.append(contentsOf: subject.bytes)
                writeBuffer.append(contentsOf: Array(" 1\r\n".utf8))
            }
            writeBuffer.append(contentsOf: Array("PING\r\n".utf8))
            try flush()
            // The server handles commands in order: the PONG means the SUB is in effect.
            try waitFor { if case .pong = $0 { return true } else { return false } }
        } catch {
            close(fileDescriptor)
            readBuffer.deallocate()
            throw BenchError(.setup, "nats-server at \(address): \(error)")
        }
    }

    deinit {
        close(fileDescriptor)
        readBuffer.deallocate()
    }

    var queuedByteCount: Int { writeBuffer.count }

    func queue(_ payload: UnsafeRawBufferPointer, to target: PeerName) {
        writeBuffer.append(contentsOf: Self.pub)
        writeBuffer.append(contentsOf: target.bytes)
        writeBuffer.append(UInt8(ascii: " "))
        Self.appendDecimal(payload.count, to: &writeBuffer)
        writeBuffer.append(contentsOf: Self.lineEnd)
        writeBuffer.append(contentsOf: payload)
        writeBuffer.append(contentsOf: Self.lineEnd)
    }

    func flush() throws(BenchError) {
        var offset = 0
        while offset < writeBuffer.count {
            let count = writeBuffer.withUnsafeBytes {
                send(fileDescriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw BenchError(.io, "nats: send failed: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        writeBuffer.removeAll(keepingCapacity: true)
    }

    func receive(_ deliver: (UnsafeRawBufferPointer) -> Void) throws(BenchError) {
        try readOnce()
        var pinged = false
        try parse { item in
            switch item {
            case .message(let payload): deliver(payload)
            case .ping: pinged = true
            case .error(let text):
                errorCount += 1
                lastError = text
            case .pong, .info, .other: break
            }
        }
        if pinged {
            writeBuffer.append(contentsOf: Array("PONG\r\n".utf8))
            try flush()
        }
    }

    // MARK: Parsing

    /// One inbound item; a message's payload points into the read buffer.
    private enum Item {
        case message(UnsafeRawBufferPointer)
        case ping
        case pong
        case info
        case error(String)
        /// `+OK` and anything newer servers add.
        case other
    }

    private static let pub = Array("PUB ".utf8)
    private static let lineEnd: [UInt8] = [0x0D, 0x0A]

    /// Reads until an item satisfies `done`, answering PINGs; -ERR fails setup.
    private func waitFor(_ done: (Item) -> Bool) throws(BenchError) {
        var finished = false
        var failure: String?
        while !finished {
            try readOnce()
            try parse { item in
                if case .error(let text) = item { failure = text }
                if case .ping = item { writeBuffer.append(contentsOf: Array("PONG\r\n".utf8)) }
                if done(item) { finished = true }
            }
            if let failure { throw BenchError(.setup, failure) }
            if !writeBuffer.isEmpty { try flush() }
        }
    }

    /// One `recv` into the free end of the buffer, after moving unparsed bytes to the front.
    private func readOnce() throws(BenchError) {
        if start == end {
            start = 0
            end = 0
        } else if readBuffer.count - end < Self.readSize / 4 {
            let pending = end - start
            readBuffer.baseAddress!.copyMemory(from: readBuffer.baseAddress! + start, byteCount: pending)
            start = 0
            end = pending
        }
        while true {
            let count = recv(fileDescriptor, readBuffer.baseAddress! + end, readBuffer.count - end, 0)
            if count < 0 {
                if errno == EINTR { continue }
                throw BenchError(.io, "nats: recv failed: \(String(cString: strerror(errno)))")
            }
            guard count > 0 else { throw BenchError(.io, "nats: the server closed the connection") }
            end += count
            return
        }
    }

    /// Hands every complete item in the buffer to `handle` and drops it from the buffer.
    private func parse(_ handle: (Item) -> Void) throws(BenchError) {
        let base = UnsafeRawBufferPointer(readBuffer)
        while start < end {
            let available = UnsafeRawBufferPointer(rebasing: base[start..<end])
            guard let offset = available.firstIndex(of: 0x0A) else {
                guard available.count <= Self.maxLineLength else {
                    throw BenchError(.protocolViolation, "nats: a line longer than \(Self.maxLineLength) bytes")
                }
                return
            }
            let newline = start + offset
            let lineLength = offset + 1
            let line = UnsafeRawBufferPointer(rebasing: base[start..<newline])
            if Self.hasPrefix(line, "MSG ") {
                let length = try Self.messageLength(line)
                let total = lineLength + length + 2
                guard end - start >= total else {
                    try makeRoom(forItemOf: total)
                    return
                }
                handle(.message(UnsafeRawBufferPointer(rebasing: base[(newline + 1)..<(newline + 1 + length)])))
                start += total
                continue
            }
            if Self.hasPrefix(line, "PING") {
                handle(.ping)
            } else if Self.hasPrefix(line, "PONG") {
                handle(.pong)
            } else if Self.hasPrefix(line, "INFO") {
                handle(.info)
            } else if Self.hasPrefix(line, "-ERR") {
                handle(.error(String(decoding: line, as: UTF8.self).trimmingSuffix("\r")))
            } else {
                handle(.other)
            }
            start += lineLength
        }
    }

    /// Grows the buffer when one message is larger than the room left for it.
    private func makeRoom(forItemOf total: Int) throws(BenchError) {
        guard total > readBuffer.count - start else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: total + Self.readSize, alignment: 16)
        grown.baseAddress!.copyMemory(from: readBuffer.baseAddress! + start, byteCount: end - start)
        readBuffer.deallocate()
        readBuffer = grown
        end -= start
        start = 0
    }

    /// The `#bytes` at the end of a `MSG` line.
    private static func messageLength(_ line: UnsafeRawBufferPointer) throws(BenchError) -> Int {
        var last = line.count
        if last > 0 && line[last - 1] == 0x0D { last -= 1 }
        var first = last
        while first > 0 && line[first - 1] != 0x20 { first -= 1 }
        guard first < last else { throw BenchError(.protocolViolation, "nats: MSG line without a length") }
        var length = 0
        for index in first..<last {
            let digit = Int(line[index]) - 0x30
            guard (0...9).contains(digit), length < Int.max / 16 else {
                throw BenchError(.protocolViolation, "nats: bad length in a MSG line")
            }
            length = length * 10 + digit
        }
        return length
    }

    private static func hasPrefix(_ line: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        guard line.count >= prefix.utf8CodeUnitCount else { return false }
        return memcmp(line.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }

    /// Appends `value` in decimal without building a String.
    private static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            buffer.append(UInt8(0x30 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}

extension String {
    /// The string without one trailing `suffix` character.
    fileprivate func trimmingSuffix(_ suffix: Character) -> String {
        last == suffix ? String(dropLast()) : self
    }
}
