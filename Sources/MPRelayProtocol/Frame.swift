/// The length-prefixed framing of `multiprocessing.connection`.
///
/// Every message is a 4-byte big-endian signed length followed by that many bytes. CPython writes
/// lengths above `0x7fffffff` as the 4-byte value `-1` followed by an 8-byte big-endian unsigned
/// length; both forms are accepted for any length.
public enum Frame {
    /// The largest length that fits the short, 4-byte header.
    public static let maxShortLength = Int(Int32.max)

    /// The number of header bytes a frame of `length` bytes needs.
    @inlinable
    public static func headerLength(forBodyLength length: Int) -> Int {
        length > maxShortLength ? 12 : 4
    }

    /// Appends the header of a frame whose body is `length` bytes long.
    @inlinable
    public static func appendHeader(bodyLength length: Int, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: headerLength(forBodyLength: length), alignment: 1) { header in
            _ = writeHeader(bodyLength: length, into: header)
            buffer.append(contentsOf: UnsafeRawBufferPointer(header))
        }
    }

    /// Writes the header of a frame whose body is `length` bytes long at the start of `header`,
    /// which has room for ``headerLength(forBodyLength:)`` bytes; returns how many it wrote.
    @inlinable
    public static func writeHeader(bodyLength length: Int, into header: UnsafeMutableRawBufferPointer) -> Int {
        precondition(length >= 0, "a frame cannot have a negative length")
        if length > maxShortLength {
            header.storeBytes(of: UInt32.max, toByteOffset: 0, as: UInt32.self)
            header.storeBytes(of: UInt64(length).bigEndian, toByteOffset: 4, as: UInt64.self)
            return 12
        }
        header.storeBytes(of: UInt32(length).bigEndian, toByteOffset: 0, as: UInt32.self)
        return 4
    }

    /// Returns `body` framed: a header followed by the bytes.
    public static func encode(_ body: some Collection<UInt8>) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(headerLength(forBodyLength: body.count) + body.count)
        appendHeader(bodyLength: body.count, to: &buffer)
        buffer.append(contentsOf: body)
        return buffer
    }
}
