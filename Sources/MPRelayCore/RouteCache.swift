public import MPRelayProtocol

/// A sender's routes: for each destination name it sent to, the verdict, valid while the
/// registry's generation is unchanged (it changes when a name comes or goes and on reload). A
/// sender decides from the raw name bytes, without the access-rule match, the name validation and
/// the allocation of a registry lookup; one that keeps writing to one peer with one comparison of
/// the name's bytes.
public struct RouteCache<Peer: AnyObject> {
    /// Destinations remembered per sender before the cache starts over.
    public static var capacity: Int { 256 }

    @usableFromInline var routes = PeerNameCache<Route<Peer>>(capacity: Self.capacity)
    @usableFromInline var generation: UInt64 = .max

    /// An empty cache.
    public init() {}

    /// The cached route for `destination`, if there is one and the registry has not changed.
    /// Always inlined into the relay path, like ``SendRouter/decide(destination:payloadLength:limits:)``.
    @inlinable @inline(__always)
    public mutating func route(for destination: UnsafeRawBufferPointer, generation current: UInt64) -> Route<Peer>? {
        guard generation == current else {
            forget()
            return nil
        }
        return routes.value(for: destination)
    }

    /// Remembers the route found for `destination` at registry generation `current`.
    @inlinable
    public mutating func remember(_ destination: UnsafeRawBufferPointer, _ route: Route<Peer>, generation current: UInt64) {
        if generation != current {
            routes.removeAll()
            generation = current
        }
        routes.insert(route, for: destination)
    }

    /// Forgets every route, e.g. when a receiver turned out to be gone.
    @inlinable
    public mutating func forget() {
        routes.removeAll()
        generation = .max
    }
}
