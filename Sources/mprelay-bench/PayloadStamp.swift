/// The marks every benchmark payload carries so a receiver can check order, loss and integrity.
///
/// Bytes 0-7 are the sequence number, bytes 8-15 the stream (pair or sender index), both
/// little-endian, and the last 8 bytes repeat both mixed with a constant: a payload cut short,
/// padded or overwritten does not verify. The bytes in between are a fixed filler.
enum PayloadStamp {
    /// The smallest payload that holds the marks.
    static let minimumSize = 24

    private static let tailMix: UInt64 = 0xA5C3_5A3C_96E1_1E69
    /// The filler byte between the head and the tail.
    static let filler: UInt8 = 0x5A

    /// A payload buffer of `size` bytes with the filler in place; stamp it before each send.
    static func makeBuffer(size: Int) -> UnsafeMutableRawBufferPointer {
        precondition(size >= minimumSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        buffer.initializeMemory(as: UInt8.self, repeating: filler)
        return buffer
    }

    /// Writes the marks of message `sequence` of `stream` into `payload`.
    static func stamp(_ payload: UnsafeMutableRawBufferPointer, stream: Int, sequence: UInt64) {
        payload.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
        payload.storeBytes(of: UInt64(stream).littleEndian, toByteOffset: 8, as: UInt64.self)
        let tail = sequence ^ (UInt64(stream) &* 0x9E37_79B9_7F4A_7C15) ^ tailMix
        payload.storeBytes(of: tail.littleEndian, toByteOffset: payload.count - 8, as: UInt64.self)
    }

    /// The stream and sequence number of a payload, or nil if it is too short or its tail does not
    /// match its head.
    static func read(_ payload: UnsafeRawBufferPointer) -> (stream: Int, sequence: UInt64)? {
        guard payload.count >= minimumSize else { return nil }
        let sequence = UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let stream = UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let tail = UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: payload.count - 8, as: UInt64.self))
        guard tail == sequence ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ tailMix, stream <= UInt64(Int.max) else { return nil }
        return (Int(stream), sequence)
    }
}
