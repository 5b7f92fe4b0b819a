import MPRelayProtocol
import Testing

/// Splitting a byte stream into frames, however the reads cut it.
@Suite("FrameDecoder: splitting a stream")
struct FrameDecoderTests {
    /// The bodies of ``stream``, in order.
    static let bodies: [[UInt8]] = [
        [1, 2, 3],
        [],
        (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) },
        [9, 8, 7, 6, 5],
        [],
        [0x42],
        [],
    ]

    /// Several frames back to back: short headers, zero-length bodies, and the 12-byte header (the
    /// 4th and 5th frames) for small bodies, which CPython never writes but the decoder accepts.
    static let stream: [UInt8] = {
        var bytes: [UInt8] = []
        for (index, body) in bodies.enumerated() {
            if index == 3 || index == 4 {
                bytes += hex("FF FF FF FF") + bigEndian(UInt64(body.count)) + body
            } else {
                bytes += Frame.encode(body)
            }
        }
        return bytes
    }()

    @Test("the whole stream in one read")
    func oneRead() throws {
        var decoder = FrameDecoder(maxBodyLength: 1000)
        #expect(try collectFrames(&decoder, [Self.stream]) == Self.bodies)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("one byte at a time")
    func byteByByte() throws {
        var decoder = FrameDecoder(maxBodyLength: 1000)
        var frames: [[UInt8]] = []
        for byte in Self.stream {
            frames += try collectFrames(&decoder, [[byte]])
            #expect(decoder.bufferedByteCount <= 300 + 4)
        }
        #expect(frames == Self.bodies)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("split in two at every byte boundary")
    func everyBoundary() throws {
        for cut in 0...Self.stream.count {
            var decoder = FrameDecoder(maxBodyLength: 1000)
            let frames = try collectFrames(&decoder, split(Self.stream, at: [cut]))
            #expect(frames == Self.bodies, "cut at \(cut)")
            #expect(decoder.bufferedByteCount == 0, "cut at \(cut)")
        }
    }

    @Test("random chunkings from a seeded generator", arguments: [UInt64(1), 2, 3, 0xDEC0DE])
    func randomChunkings(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        for round in 0..<200 {
            let cutCount = Int.random(in: 0...40, using: &random)
            let cuts = (0..<cutCount).map { _ in Int.random(in: 0...Self.stream.count, using: &random) }.sorted()
            var decoder = FrameDecoder(maxBodyLength: 1000)
            let frames = try collectFrames(&decoder, split(Self.stream, at: cuts))
            #expect(frames == Self.bodies, "seed \(seed), round \(round), cuts \(cuts)")
        }
    }

    @Test("the 12-byte header for a small body, whole and byte by byte")
    func longHeaderSmallBody() throws {
        let frame = hex("FF FF FF FF  00 00 00 00 00 00 00 03  AA BB CC")
        var whole = FrameDecoder(maxBodyLength: 3)
        #expect(try collectFrames(&whole, [frame]) == [[0xAA, 0xBB, 0xCC]])
        var bytewise = FrameDecoder(maxBodyLength: 3)
        #expect(try collectFrames(&bytewise, frame.map { [$0] }) == [[0xAA, 0xBB, 0xCC]])
        var empty = FrameDecoder(maxBodyLength: 0)
        #expect(try collectFrames(&empty, [hex("FF FF FF FF  00 00 00 00 00 00 00 00")]) == [[]])
    }

    @Test("zero-length frames are frames")
    func zeroLength() throws {
        var decoder = FrameDecoder(maxBodyLength: 0)
        #expect(try collectFrames(&decoder, [[UInt8](repeating: 0, count: 20)]) == Array(repeating: [], count: 5))
        #expect(try collectFrames(&decoder, [hex("00 00"), hex("00"), hex("00  00 00")]) == [[]])
        #expect(decoder.bufferedByteCount == 2)
        #expect(try collectFrames(&decoder, [hex("00 00")]) == [[]])
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("no input, no frames")
    func emptyInput() throws {
        var decoder = FrameDecoder(maxBodyLength: 10)
        #expect(try collectFrames(&decoder, [[], []]).isEmpty)
        #expect(try collectFrames(&decoder, [hex("00 00 00 02 01"), []]).isEmpty)
        #expect(decoder.bufferedByteCount == 5)
    }

    @Test("only an incomplete tail is buffered, and released once its frame completes")
    func pendingBufferReleased() throws {
        var decoder = FrameDecoder(maxBodyLength: 100)
        let first = Frame.encode([UInt8](repeating: 1, count: 10))
        let second = Frame.encode([UInt8](repeating: 2, count: 20))
        #expect(try collectFrames(&decoder, [Array(first.prefix(6))]).isEmpty)
        #expect(decoder.bufferedByteCount == 6)
        #expect(try collectFrames(&decoder, [Array(first.dropFirst(6)) + second.prefix(2)]).count == 1)
        #expect(decoder.bufferedByteCount == 2)
        #expect(try collectFrames(&decoder, [Array(second.dropFirst(2)) + first]).count == 2)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("a frame that arrives whole is handed over in place, without a copy")
    func inPlace() throws {
        var decoder = FrameDecoder(maxBodyLength: 100)
        let input = Frame.encode([1, 2, 3]) + Frame.encode([4, 5])
        var offsets: [Int] = []
        try input.withUnsafeBytes { bytes in
            try decoder.feed(bytes) { body in
                offsets.append(body.baseAddress! - bytes.baseAddress!)
                return .proceed
            }
        }
        #expect(offsets == [4, 11])
    }

    @Test("an error thrown by the handler reaches the caller")
    func handlerError() {
        struct Refused: Error, Equatable {}
        var decoder = FrameDecoder(maxBodyLength: 100)
        var calls = 0
        #expect(throws: Refused()) {
            try Self.stream.withUnsafeBytes { bytes in
                try decoder.feed(bytes) { _ in
                    calls += 1
                    throw Refused()
                }
            }
        }
        #expect(calls == 1)
    }
}
