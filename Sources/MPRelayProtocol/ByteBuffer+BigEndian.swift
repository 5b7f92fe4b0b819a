extension Array where Element == UInt8 {
    /// Appends `value` in network byte order.
    @inlinable
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { self.append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a big-endian integer at `offset`; the caller has checked the bounds.
    @inlinable
    public func readBigEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type) -> T {
        T(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
