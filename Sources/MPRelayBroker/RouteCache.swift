import MPRelayProtocol

/// Where a SEND goes, as decided by the access rules and the registry.
enum Route {
    /// Queue it for this receiver.
    case deliver(Connection)
    /// The sender's principal may send there, but nobody has that name.
    case unknownPeer
    /// The sender's principal may not send to that name.
    case forbidden
}

/// A connection's routes: for each destination name it sent to, the verdict, valid while the
/// registry's generation is unchanged (it changes when a name comes or goes and on reload). A
/// sender decides from the raw name bytes, without the access-rule match, the name validation and
/// the allocation of a registry lookup; one that keeps writing to one peer with one `memcmp`.
struct RouteCache {
    /// Destinations remembered per sender before the cache starts over.
    static let capacity = 256

    private var routes = PeerNameCache<Route>(capacity: Self.capacity)
    private var generation: UInt64 = .max

    /// The cached route for `destination`, if there is one and the registry has not changed.
    mutating func route(for destination: UnsafeRawBufferPointer, generation current: UInt64) -> Route? {
        guard generation == current else {
            forget()
            return nil
        }
        return routes.value(for: destination)
    }

    /// Remembers the route found for `destination` at registry generation `current`.
    mutating func remember(_ destination: UnsafeRawBufferPointer, _ route: Route, generation current: UInt64) {
        if generation != current {
            routes.removeAll()
            generation = current
        }
        routes.insert(route, for: destination)
    }

    /// Forgets every route, e.g. when a receiver turned out to be gone.
    mutating func forget() {
        routes.removeAll()
        generation = .max
    }
}
