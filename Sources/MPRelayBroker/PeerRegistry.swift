import MPRelayProtocol
import Synchronization

/// The registered names, who owns each, and who watches presence.
///
/// Routing reads it on every cache miss; each connection keeps its last route and revalidates it
/// against ``generation``, which changes whenever a name comes or goes.
final class PeerRegistry: Sendable {
    private struct State {
        var peers: [PeerName: Connection] = [:]
        var watchers: [ObjectIdentifier: Connection] = [:]
    }

    private let state = Mutex(State())
    private let generationCounter = Atomic<UInt64>(0)

    /// Changes whenever a name is registered or released.
    var generation: UInt64 { generationCounter.load(ordering: .acquiring) }

    /// Registers `name` for `connection`. Returns the watchers to tell, or nil if the name is taken.
    func register(_ name: PeerName, _ connection: Connection) -> [Connection]? {
        state.withLock { state in
            guard state.peers[name] == nil else { return nil }
            state.peers[name] = connection
            generationCounter.add(1, ordering: .releasing)
            return state.watchers.values.filter { $0 !== connection }
        }
    }

    /// Gives `name` to `connection` whoever holds it. Returns the previous holder and the watchers
    /// to tell.
    func replace(_ name: PeerName, with connection: Connection) -> (previous: Connection?, watchers: [Connection]) {
        state.withLock { state in
            let previous = state.peers[name]
            state.peers[name] = connection
            // The replaced holder hears nothing more of presence: it is told ERROR `replaced` only.
            if let previous { state.watchers[ObjectIdentifier(previous)] = nil }
            generationCounter.add(1, ordering: .releasing)
            return (previous, state.watchers.values.filter { $0 !== connection })
        }
    }

    /// Makes every connection look its routes up again, e.g. after the rules changed.
    func invalidateRoutes() {
        generationCounter.add(1, ordering: .releasing)
    }

    /// Releases `name` if `connection` still holds it; returns the watchers to tell.
    func unregister(_ name: PeerName, _ connection: Connection) -> [Connection] {
        state.withLock { state in
            state.watchers[ObjectIdentifier(connection)] = nil
            guard state.peers[name] === connection else { return [] }
            state.peers[name] = nil
            generationCounter.add(1, ordering: .releasing)
            return Array(state.watchers.values)
        }
    }

    /// The connection registered under these name bytes.
    func lookup(_ name: UnsafeRawBufferPointer) -> Connection? {
        guard let key = try? PeerName(validating: name) else { return nil }
        return state.withLock { $0.peers[key] }
    }

    /// The connection registered under `name`.
    func lookup(_ name: PeerName) -> Connection? {
        state.withLock { $0.peers[name] }
    }

    /// Every registered name, sorted bytewise.
    func names() -> [PeerName] {
        state.withLock { Array($0.peers.keys) }.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    /// Every registered connection.
    func connections() -> [Connection] {
        state.withLock { Array($0.peers.values) }
    }

    /// Starts or stops presence events for `connection`.
    func setWatching(_ connection: Connection, _ watching: Bool) {
        state.withLock { $0.watchers[ObjectIdentifier(connection)] = watching ? connection : nil }
    }

    var count: Int { state.withLock { $0.peers.count } }
}
