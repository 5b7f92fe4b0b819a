import MPRelayProtocol
import Testing

/// The frame header: both length forms, written and parsed.
@Suite("Frame header")
struct FrameTests {
    @Test("a body up to 0x7fffffff bytes gets the 4-byte header")
    func shortForm() {
        #expect(Frame.encode([0xAA, 0xBB, 0xCC]) == hex("00 00 00 03  AA BB CC"))
        #expect(Frame.encode([UInt8]()) == hex("00 00 00 00"))
        #expect(Frame.encode([UInt8](repeating: 7, count: 0x1234)).prefix(4) == [0x00, 0x00, 0x12, 0x34])
        var buffer: [UInt8] = []
        Frame.appendHeader(bodyLength: Int(Int32.max), to: &buffer)
        #expect(buffer == hex("7F FF FF FF"))
    }

    @Test("a body over 0x7fffffff bytes gets -1 and an 8-byte length")
    func longForm() {
        var buffer: [UInt8] = [0x55]
        Frame.appendHeader(bodyLength: Int(Int32.max) + 1, to: &buffer)
        #expect(buffer == hex("55  FF FF FF FF  00 00 00 00 80 00 00 00"))
        buffer = []
        Frame.appendHeader(bodyLength: 0x1_2345_6789, to: &buffer)
        #expect(buffer == hex("FF FF FF FF  00 00 00 01 23 45 67 89"))
    }

    @Test("headerLength switches form exactly above Int32.max")
    func headerLength() {
        #expect(Frame.headerLength(forBodyLength: 0) == 4)
        #expect(Frame.headerLength(forBodyLength: Int(Int32.max)) == 4)
        #expect(Frame.headerLength(forBodyLength: Int(Int32.max) + 1) == 12)
        #expect(Frame.headerLength(forBodyLength: Int(UInt32.max) + 1) == 12)
        #expect(Frame.maxShortLength == 0x7FFF_FFFF)
    }

    @Test("parseHeader waits for a whole header")
    func incompleteHeaders() throws {
        for bytes in [[], hex("00"), hex("00 00 00"), hex("FF FF FF FF"), hex("FF FF FF FF 00 00 00 00 00 00 00")] {
            let parsed = try bytes.withUnsafeBytes { try FrameDecoder.parseHeader($0, limit: 100) }
            #expect(parsed == nil, "\(bytes)")
        }
    }

    @Test("parseHeader reads both forms, whatever follows the header")
    func parsesBothForms() throws {
        let short = try hex("00 00 00 05  01 02").withUnsafeBytes { try FrameDecoder.parseHeader($0, limit: 5) }
        #expect(short?.0 == 4)
        #expect(short?.1 == 5)
        let long = try hex("FF FF FF FF  00 00 00 00 00 00 00 05").withUnsafeBytes {
            try FrameDecoder.parseHeader($0, limit: 5)
        }
        #expect(long?.0 == 12)
        #expect(long?.1 == 5)
        let huge = try hex("FF FF FF FF  00 00 01 00 00 00 00 00").withUnsafeBytes {
            try FrameDecoder.parseHeader($0, limit: .max)
        }
        #expect(huge?.1 == 1 << 40)
    }

    @Test("parseHeader rejects what is over the limit, in both forms")
    func parseHeaderLimit() {
        #expect(throws: FrameError.tooLarge(announced: 6, limit: 5)) {
            try hex("00 00 00 06").withUnsafeBytes { try FrameDecoder.parseHeader($0, limit: 5) }
        }
        #expect(throws: FrameError.tooLarge(announced: 6, limit: 5)) {
            try hex("FF FF FF FF  00 00 00 00 00 00 00 06").withUnsafeBytes { try FrameDecoder.parseHeader($0, limit: 5) }
        }
        #expect(throws: FrameError.tooLarge(announced: .max, limit: .max)) {
            try hex("FF FF FF FF  FF FF FF FF FF FF FF FF").withUnsafeBytes { try FrameDecoder.parseHeader($0, limit: .max) }
        }
    }

    @Test("parseHeader rejects a negative length other than -1 from its first 4 bytes", arguments: [
        Int32(-2), -256, -0x7FFF_FFFF, .min,
    ])
    func parseHeaderNegative(length: Int32) {
        #expect(throws: FrameError.negativeLength(length)) {
            try bigEndian(length).withUnsafeBytes { try FrameDecoder.parseHeader($0, limit: .max) }
        }
    }
}
