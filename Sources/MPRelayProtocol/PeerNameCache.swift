/// Values found by the raw bytes of a peer name, as a SEND carries them: no validation, no copy
/// and no allocation per lookup.
///
/// A sender's memory of where its destinations go. Building a ``PeerName`` to look a name up
/// validates it as UTF-8 and copies it; a sender that round-robins over workers would pay that
/// for every message. The last name found is checked first, a word at a time, so a sender that
/// keeps writing to one peer does not even hash. Bounded: at ``capacity`` names the cache starts
/// over, so a sender cycling through more names than that only loses the speed-up.
public struct PeerNameCache<Value> {
    @usableFromInline
    struct Entry {
        @usableFromInline var name: [UInt8]
        @usableFromInline var value: Value

        @inlinable
        init(name: [UInt8], value: Value) {
            self.name = name
            self.value = value
        }
    }

    /// How many names the cache holds before it starts over.
    public let capacity: Int
    /// How many names it holds now.
    public var count: Int { entries }
    @usableFromInline var entries = 0
    @usableFromInline var buckets: [Int: [Entry]] = [:]
    @usableFromInline var lastName: [UInt8] = []
    @usableFromInline var lastValue: Value?

    /// An empty cache that holds up to `capacity` names (at least one).
    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// The value stored for `name`, or nil.
    ///
    /// Always inlined: the check against the last name found is the relay's per-message cost,
    /// and a call would pass the value's type metadata and copy the result once more.
    @inlinable @inline(__always)
    public mutating func value(for name: UnsafeRawBufferPointer) -> Value? {
        if let lastValue, Self.equal(lastName, name) { return lastValue }
        return bucketValue(for: name)
    }

    /// The value for `name` found by its hash, remembered as the last one found.
    @inlinable @inline(never)
    mutating func bucketValue(for name: UnsafeRawBufferPointer) -> Value? {
        guard let bucket = buckets[Self.hash(name)] else { return nil }
        for entry in bucket where Self.equal(entry.name, name) {
            remember(entry.name, entry.value)
            return entry.value
        }
        return nil
    }

    /// Stores `value` for `name`, replacing any value it had.
    @inlinable
    public mutating func insert(_ value: Value, for name: UnsafeRawBufferPointer) {
        let key = Self.hash(name)
        if let index = buckets[key]?.firstIndex(where: { Self.equal($0.name, name) }) {
            buckets[key]![index].value = value
        } else {
            if entries >= capacity { removeAll() }
            buckets[key, default: []].append(Entry(name: Array(name), value: value))
            entries += 1
        }
        remember(name, value)
    }

    /// Forgets every name.
    @inlinable
    public mutating func removeAll() {
        buckets.removeAll(keepingCapacity: true)
        entries = 0
        lastValue = nil
    }

    @inlinable
    mutating func remember(_ name: some Sequence<UInt8>, _ value: Value) {
        lastName.removeAll(keepingCapacity: true)
        lastName.append(contentsOf: name)
        lastValue = value
    }

    @inlinable
    static func hash(_ name: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: name)
        return hasher.finalize()
    }

    /// Eight bytes at a time, then the tail, inlined: names are short, and a call to `memcmp`
    /// (which inlinable code cannot name, Glibc being imported internally) cost more.
    @inlinable
    static func equal(_ stored: [UInt8], _ name: UnsafeRawBufferPointer) -> Bool {
        let count = name.count
        guard stored.count == count else { return false }
        return stored.withUnsafeBytes { stored in
            var offset = 0
            while offset + 8 <= count {
                let mine = stored.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                guard mine == name.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
                offset += 8
            }
            while offset < count {
                guard stored[offset] == name[offset] else { return false }
                offset += 1
            }
            return true
        }
    }
}
