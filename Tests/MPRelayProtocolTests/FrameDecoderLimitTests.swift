import MPRelayProtocol
import Testing

/// The body-length limit, invalid headers, and the handler's directives.
@Suite("FrameDecoder: limits and directives")
struct FrameDecoderLimitTests {
    /// Feeds `chunks` one after the other, counting frames, until the decoder throws.
    private static func feed(_ decoder: inout FrameDecoder, _ chunks: [[UInt8]], frames: inout Int) throws {
        for chunk in chunks {
            try chunk.withUnsafeBytes { bytes in
                try decoder.feed(bytes) { _ in
                    frames += 1
                    return .proceed
                }
            }
        }
    }

    @Test("a body exactly at the limit is accepted")
    func atLimit() throws {
        var decoder = FrameDecoder(maxBodyLength: 16)
        let body = [UInt8](repeating: 9, count: 16)
        #expect(try collectFrames(&decoder, [Frame.encode(body), hex("FF FF FF FF  00 00 00 00 00 00 00 10") + body]) == [body, body])
    }

    @Test("an oversize header fails before its body is buffered, whole or byte by byte", arguments: [false, true])
    func tooLarge(bytewise: Bool) {
        var decoder = FrameDecoder(maxBodyLength: 16)
        let input = Frame.encode([1]) + Frame.encode([UInt8](repeating: 0xEE, count: 1000))
        let chunks = bytewise ? input.map { [$0] } : [input]
        var frames = 0
        #expect(throws: FrameError.tooLarge(announced: 1000, limit: 16)) {
            try Self.feed(&decoder, chunks, frames: &frames)
        }
        #expect(frames == 1)
        #expect(decoder.bufferedByteCount <= 4)
    }

    @Test("an oversize 12-byte header fails at its 12th byte", arguments: [false, true])
    func tooLargeLongForm(bytewise: Bool) {
        var decoder = FrameDecoder(maxBodyLength: 1 << 20)
        let header = hex("FF FF FF FF  00 00 00 02 00 00 00 00")
        var fed = 0
        #expect(throws: FrameError.tooLarge(announced: 1 << 33, limit: 1 << 20)) {
            for chunk in bytewise ? header.map({ [$0] }) : [header + [UInt8](repeating: 0, count: 64)] {
                var frames = 0
                fed += chunk.count
                try Self.feed(&decoder, [chunk], frames: &frames)
            }
        }
        #expect(fed == (bytewise ? 12 : 76))
        #expect(decoder.bufferedByteCount <= 12)
    }

    @Test("a zero limit accepts only empty bodies")
    func zeroLimit() throws {
        var decoder = FrameDecoder(maxBodyLength: 0)
        #expect(try collectFrames(&decoder, [hex("00 00 00 00")]) == [[]])
        #expect(throws: FrameError.tooLarge(announced: 1, limit: 0)) {
            try collectFrames(&decoder, [hex("00 00 00 01 AA")])
        }
    }

    @Test("a negative length other than -1 is an error, whole or byte by byte", arguments: [
        Int32(-2), -16, -0x7FFF_FFFF, .min,
    ])
    func negative(length: Int32) {
        let input = Frame.encode([5]) + bigEndian(length) + [UInt8](repeating: 0, count: 12)
        for chunks in [[input], input.map { [$0] }] {
            var decoder = FrameDecoder(maxBodyLength: .max)
            var frames = 0
            #expect(throws: FrameError.negativeLength(length)) {
                try Self.feed(&decoder, chunks, frames: &frames)
            }
            #expect(frames == 1)
            #expect(decoder.bufferedByteCount <= 4)
        }
    }

    @Test(".changeLimit applies from the next frame on, in the same read or a later one", arguments: [false, true])
    func changeLimit(bytewise: Bool) throws {
        // The limit goes 4 -> 100 (so the 50-byte frame passes) -> 2 (so the 3-byte frame fails).
        let big = [UInt8](repeating: 3, count: 50)
        let input = Frame.encode([1, 2]) + Frame.encode(big) + Frame.encode([7, 7, 7])
        var decoder = FrameDecoder(maxBodyLength: 4)
        var seen: [[UInt8]] = []
        #expect(throws: FrameError.tooLarge(announced: 3, limit: 2)) {
            for chunk in bytewise ? input.map({ [$0] }) : [input] {
                try chunk.withUnsafeBytes { bytes in
                    try decoder.feed(bytes) { body in
                        seen.append(Array(body))
                        return seen.count == 1 ? .changeLimit(100) : .changeLimit(2)
                    }
                }
            }
        }
        #expect(seen == [[1, 2], big])
        #expect(decoder.maxBodyLength == 2)
    }

    @Test(".changeLimit raises the limit for the next frame, however the reads cut it", arguments: [3, 5, 7, 9, 30, 58])
    func raiseLimit(cut: Int) throws {
        let input = Frame.encode([1]) + Frame.encode([UInt8](repeating: 3, count: 50))
        var decoder = FrameDecoder(maxBodyLength: 1)
        var seen = 0
        for chunk in split(input, at: [cut]) {
            try chunk.withUnsafeBytes { bytes in
                try decoder.feed(bytes) { _ in
                    seen += 1
                    return .changeLimit(64)
                }
            }
        }
        #expect(seen == 2)
    }

    @Test(".stop discards the rest of the input and buffers nothing", arguments: [0, 3, 5, 9, 12])
    func stop(cut: Int) throws {
        // Frame 1 is 5 bytes, frame 2 is 7: a cut anywhere, then stop on the first frame.
        let input = Frame.encode([1]) + Frame.encode([2, 2, 2]) + hex("00 00 00 09 01")
        var decoder = FrameDecoder(maxBodyLength: 100)
        var seen = 0
        for chunk in split(input, at: [cut]) where seen == 0 {
            try chunk.withUnsafeBytes { bytes in
                try decoder.feed(bytes) { _ in
                    seen += 1
                    return .stop
                }
            }
        }
        #expect(seen == 1)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test(".stop after a frame completed from buffered bytes drops the tail too")
    func stopFromPending() throws {
        var decoder = FrameDecoder(maxBodyLength: 100)
        var seen = 0
        for chunk in [hex("00 00 00 02 0A"), hex("0B 00 00 00 03 01")] {
            try chunk.withUnsafeBytes { bytes in
                try decoder.feed(bytes) { body in
                    #expect(Array(body) == [0x0A, 0x0B])
                    seen += 1
                    return .stop
                }
            }
            if seen > 0 { break }
        }
        #expect(seen == 1)
        #expect(decoder.bufferedByteCount == 0)
    }
}
