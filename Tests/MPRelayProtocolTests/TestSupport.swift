import MPRelayProtocol

/// Bytes from hex digits. White space is ignored, so layouts can be written as docs/PROTOCOL.md
/// writes them: `hex("00 00 00 04  01 01 01 61")`.
func hex(_ text: String) -> [UInt8] {
    let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
    precondition(digits.count.isMultiple(of: 2), "odd number of hex digits in \(text)")
    return stride(from: 0, to: digits.count, by: 2).map { index in
        guard let byte = UInt8(String(digits[index..<(index + 2)]), radix: 16) else {
            preconditionFailure("not hex: \(text)")
        }
        return byte
    }
}

/// The UTF-8 bytes of `text`.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// `value` in network byte order.
func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.appendBigEndian(value)
    return bytes
}

/// SplitMix64: a tiny seeded generator, so "random" chunkings are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Feeds `chunks` to `decoder` in order and returns the body of every frame it hands out.
func collectFrames(_ decoder: inout FrameDecoder, _ chunks: [[UInt8]]) throws -> [[UInt8]] {
    var frames: [[UInt8]] = []
    for chunk in chunks {
        try chunk.withUnsafeBytes { bytes in
            try decoder.feed(bytes) { body in
                frames.append(Array(body))
                return .proceed
            }
        }
    }
    return frames
}

/// `bytes` cut into pieces at `cuts` (sorted offsets strictly inside the array).
func split(_ bytes: [UInt8], at cuts: [Int]) -> [[UInt8]] {
    var pieces: [[UInt8]] = []
    var start = 0
    for cut in cuts + [bytes.count] {
        pieces.append(Array(bytes[start..<cut]))
        start = cut
    }
    return pieces
}

/// The error `body` fails to decode with, or nil when it decodes.
func decodingError(_ body: [UInt8]) -> EnvelopeError? {
    do {
        _ = try Envelope(decoding: body)
        return nil
    } catch {
        return error
    }
}
