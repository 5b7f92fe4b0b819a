import MPRelayProtocol
import Synchronization

/// The broker's routing, as it looks up a SEND's destination: the sender's ``PeerNameCache``
/// checked against the registry's generation (the broker's `RouteCache`, with its capacity), and
/// on a miss the registry's dictionary keyed by a validated ``PeerName`` under a mutex (the
/// broker's `PeerRegistry.lookup(_:)`). The access-rule check the broker adds on a miss is left out.
///
/// The generation check and the registry are internal to the broker, so this mirrors their few
/// lines; the cache is the broker's own type.
final class RouteMirror {
    private let registry: Mutex<[PeerName: Int]>
    private let generation = Atomic<UInt64>(0)
    private var cachedGeneration = UInt64.max
    private var cache = PeerNameCache<Int>(capacity: 256)

    /// Registers `count` peers named `worker-0` ... plus `extra`, each mapped to its index.
    init(count: Int, extra: [PeerName] = []) {
        var peers: [PeerName: Int] = [:]
        for index in 0..<count {
            do { peers[try PeerName("worker-\(index)")] = index } catch { preconditionFailure("\(error)") }
        }
        for name in extra where peers[name] == nil { peers[name] = peers.count }
        registry = Mutex(peers)
    }

    /// The registry lookup alone: validate the bytes into a key, then hash and compare under the lock.
    func lookup(_ name: UnsafeRawBufferPointer) -> Int? {
        guard let key = try? PeerName(validating: name) else { return nil }
        return registry.withLock { $0[key] }
    }

    /// The route as the relay path finds it: the cache if the registry has not changed, else a
    /// lookup that fills the cache.
    func route(_ name: UnsafeRawBufferPointer) -> Int? {
        let current = generation.load(ordering: .acquiring)
        if cachedGeneration != current {
            cache.removeAll()
            cachedGeneration = current
        }
        if let receiver = cache.value(for: name) { return receiver }
        guard let receiver = lookup(name) else { return nil }
        cache.insert(receiver, for: name)
        return receiver
    }
}
