import Glibc
import MPRelayPOSIX

/// Buffered reads from file descriptor 0: a decimal length line, then that many bytes.
struct StandardInput {
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    /// The next length line, or nil at the end of the input. A line that is not a length ends
    /// the program with status 2.
    mutating func lengthLine() -> Int? {
        var digits: [UInt8] = []
        while true {
            guard let byte = next() else {
                guard digits.isEmpty else { fail("the input ends inside a length line") }
                return nil
            }
            if byte == UInt8(ascii: "\n") { break }
            digits.append(byte)
        }
        guard let length = Int(String(decoding: digits, as: UTF8.self)), length >= 0 else {
            fail("expected a length line, got \(String(decoding: digits, as: UTF8.self).debugDescription)")
        }
        return length
    }

    /// Exactly `count` bytes; a shorter input ends the program with status 2.
    mutating func read(count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            guard let byte = next() else { fail("the input ends inside a document of \(count) bytes") }
            bytes.append(byte)
        }
        return bytes
    }

    private mutating func next() -> UInt8? {
        if start == buffer.count {
            guard !atEnd else { return nil }
            buffer = [UInt8](repeating: 0, count: 65_536)
            let count = buffer.withUnsafeMutableBytes { try? SystemCall.read(STDIN_FILENO, into: $0, inherited: true) } ?? 0
            guard count > 0 else {
                atEnd = true
                buffer = []
                start = 0
                return nil
            }
            buffer.removeSubrange(count...)
            start = 0
        }
        defer { start += 1 }
        return buffer[start]
    }

    private func fail(_ message: String) -> Never {
        DescriptorWrite.standardError("toml-decode: \(message)")
        exit(2)
    }
}
