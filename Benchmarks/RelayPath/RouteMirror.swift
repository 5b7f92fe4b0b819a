import Glibc
import MPRelayProtocol
import Synchronization

/// The broker's routing, as it looks up a SEND's destination: a one-entry cache checked against
/// the registry's generation and with `memcmp` (the broker's `RouteCache`), and on a miss the
/// registry's dictionary keyed by a validated ``PeerName`` under a mutex (the broker's
/// `PeerRegistry.lookup(_:)`). The access-rule check the broker adds on a miss is left out.
///
/// Those types are internal to the broker, so this mirrors their code; keep the two in step.
final class RouteMirror {
    private let registry: Mutex<[PeerName: Int]>
    private let generation = Atomic<UInt64>(0)
    private var cachedGeneration = UInt64.max
    private var cachedName: [UInt8] = []
    private var cachedReceiver: Int?

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

    /// The route as the relay path finds it: the cache if it names the same bytes, else a lookup
    /// that refills the cache.
    func route(_ name: UnsafeRawBufferPointer) -> Int? {
        let current = generation.load(ordering: .acquiring)
        if let cachedReceiver, cachedGeneration == current, cachedName.count == name.count,
            cachedName.withUnsafeBytes({ memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 })
        {
            return cachedReceiver
        }
        guard let receiver = lookup(name) else { return nil }
        cachedName.removeAll(keepingCapacity: true)
        cachedName.append(contentsOf: name)
        cachedReceiver = receiver
        cachedGeneration = current
        return receiver
    }
}
