/// Chunk sizes from a xorshift generator: reproducible for a given seed, varied enough to split
/// headers and control lines at every offset. Targets feed a stream in these chunks, as reads off
/// a socket would cut it.
public struct ChunkSizes {
    private var state: UInt32
    private let largest: UInt32

    /// Sizes of 1 to `seed % 32 + 1` bytes.
    public init(seed: UInt8) {
        state = UInt32(seed) &* 0x9E37_79B9 | 1
        largest = UInt32(seed % 32) + 1
    }

    /// The next chunk size.
    public mutating func next() -> Int {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return Int(state % largest) + 1
    }
}
