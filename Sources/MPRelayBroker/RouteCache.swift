import Glibc

/// A connection's last route: the destination name it sent to and the receiver it found, valid
/// while the registry's generation is unchanged. A sender that keeps writing to one peer finds it
/// with one memcmp instead of a hash lookup and an allocation.
struct RouteCache {
    private var name: [UInt8] = []
    private var receiver: Connection?
    private var generation: UInt64 = .max

    /// The cached receiver for `destination`, if the cache is for that name and still current.
    func receiver(for destination: UnsafeRawBufferPointer, generation current: UInt64) -> Connection? {
        guard generation == current, let receiver, name.count == destination.count else { return nil }
        let same = name.withUnsafeBytes { memcmp($0.baseAddress!, destination.baseAddress!, destination.count) == 0 }
        return same ? receiver : nil
    }

    mutating func remember(_ destination: UnsafeRawBufferPointer, _ receiver: Connection, generation: UInt64) {
        name.removeAll(keepingCapacity: true)
        name.append(contentsOf: destination)
        self.receiver = receiver
        self.generation = generation
    }

    mutating func forget() {
        receiver = nil
        generation = .max
    }
}
