/// The bytes libFuzzer hands a target, read front to back: a few bytes of choices, then data.
///
/// Reads past the end give zeros and empty slices rather than failing, so every input, however
/// short, is a valid run: libFuzzer then learns which bytes matter from coverage alone.
public struct FuzzInput {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    /// Wraps the `count` bytes at `start`, as `LLVMFuzzerTestOneInput` receives them.
    public init(_ start: UnsafePointer<UInt8>?, _ count: Int) {
        self.bytes = UnsafeRawBufferPointer(UnsafeBufferPointer(start: count > 0 ? start : nil, count: count))
    }

    /// Whether every byte has been read.
    public var isEmpty: Bool { offset >= bytes.count }

    /// The number of bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    /// The next byte, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next `count` bytes, or fewer at the end.
    public mutating func take(upTo count: Int) -> UnsafeRawBufferPointer {
        let end = offset + min(max(count, 0), remaining)
        defer { offset = end }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
    }

    /// Everything not read yet.
    public mutating func rest() -> UnsafeRawBufferPointer {
        take(upTo: remaining)
    }
}
