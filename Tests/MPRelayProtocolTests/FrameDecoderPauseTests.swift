import MPRelayProtocol
import Testing

/// A handler that cannot take more frames for now pauses the decoder: nothing is lost, the order
/// holds, and the held frames come out first on the next feed, even an empty one.
@Suite("FrameDecoder pause")
struct FrameDecoderPauseTests {
    /// Frames of 0 to 29 bytes, each filled with its index.
    static let frames: [[UInt8]] = (0..<30).map { [UInt8](repeating: UInt8($0), count: $0) }
    static let stream: [UInt8] = frames.flatMap { Frame.encode($0) }

    /// Feeds `chunks`, pausing after every `pauseEvery`-th frame, and resumes with empty feeds
    /// until nothing whole is held. Returns the frames in the order they were handed out.
    static func decode(_ chunks: [[UInt8]], pauseEvery: Int) throws -> [[UInt8]] {
        var decoder = FrameDecoder(maxBodyLength: 100)
        var out: [[UInt8]] = []
        let handler: (UnsafeRawBufferPointer) -> FrameDecoder.Directive = { body in
            out.append(Array(body))
            return out.count % pauseEvery == 0 ? .pause : .proceed
        }
        for chunk in chunks {
            try chunk.withUnsafeBytes { try decoder.feed($0, handler) }
            while decoder.holdsWholeFrame {
                try [UInt8]().withUnsafeBytes { try decoder.feed($0, handler) }
            }
        }
        #expect(decoder.bufferedByteCount == 0)
        return out
    }

    @Test("every frame comes out once, in order, whatever the pause pattern and the cuts")
    func orderKept() throws {
        for pauseEvery in [1, 2, 3, 7, 100] {
            for cut in stride(from: 1, to: Self.stream.count, by: 5) {
                let chunks = [Array(Self.stream[..<cut]), Array(Self.stream[cut...])]
                #expect(try Self.decode(chunks, pauseEvery: pauseEvery) == Self.frames)
            }
            #expect(try Self.decode(Self.stream.map { [$0] }, pauseEvery: pauseEvery) == Self.frames)
        }
    }

    @Test("input fed while frames are held is kept behind them")
    func inputBehindHeld() throws {
        var decoder = FrameDecoder(maxBodyLength: 100)
        var out: [[UInt8]] = []
        var pause = true
        let handler: (UnsafeRawBufferPointer) -> FrameDecoder.Directive = { body in
            out.append(Array(body))
            return pause ? .pause : .proceed
        }
        let first = Array(Self.stream.prefix(40))
        let second = Array(Self.stream.dropFirst(40))
        try first.withUnsafeBytes { try decoder.feed($0, handler) }
        #expect(out.count == 1)
        #expect(decoder.holdsWholeFrame)
        try second.withUnsafeBytes { try decoder.feed($0, handler) }
        #expect(out.count == 2)
        pause = false
        try [UInt8]().withUnsafeBytes { try decoder.feed($0, handler) }
        #expect(out == Self.frames)
        #expect(!decoder.holdsWholeFrame)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("an invalid header behind a pause is reported when the decoder resumes")
    func invalidHeaderHeld() throws {
        var decoder = FrameDecoder(maxBodyLength: 100)
        let input = Frame.encode([1]) + [0x7f, 0, 0, 0]
        try input.withUnsafeBytes { try decoder.feed($0) { _ in .pause } }
        #expect(decoder.holdsWholeFrame)
        #expect(throws: FrameError.self) {
            try [UInt8]().withUnsafeBytes { try decoder.feed($0) { _ in .proceed } }
        }
    }

    @Test("stop after a pause discards what was held")
    func stopDiscards() throws {
        var decoder = FrameDecoder(maxBodyLength: 100)
        try Self.stream.withUnsafeBytes { try decoder.feed($0) { _ in .pause } }
        #expect(decoder.bufferedByteCount > 0)
        try [UInt8]().withUnsafeBytes { try decoder.feed($0) { _ in .stop } }
        #expect(decoder.bufferedByteCount == 0)
        #expect(!decoder.holdsWholeFrame)
    }
}
