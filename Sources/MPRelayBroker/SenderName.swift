import MPRelayProtocol

/// The registered name a connection stamps on every DELIVER, in storage the relay path reads
/// without reference counting.
///
/// Kept as an array in a `var` of ``Connection``, the name was retained and released around each
/// DELIVER append (two atomic operations and about 40 instructions per message), since the
/// append could, as far as the compiler knows, replace it. Held in a `let` of the connection,
/// this object is borrowed instead, and its bytes live as long as the connection. Written at
/// registration and read only on the connection's queue.
final class SenderName {
    private let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: PeerName.maxLength, alignment: 1)
    private var count = 0

    /// The name's bytes, valid while this object lives and until the next ``set(_:)``.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[..<count]) }

    /// Takes the name the connection registered.
    func set(_ name: PeerName) {
        let bytes = name.bytes
        precondition(bytes.count <= storage.count, "a peer name is at most \(storage.count) bytes")
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        count = bytes.count
    }

    deinit {
        storage.deallocate()
    }
}
