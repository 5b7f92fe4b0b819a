import Glibc

/// Where a SEND goes, as decided by the access rules and the registry.
enum Route {
    /// Queue it for this receiver.
    case deliver(Connection)
    /// The sender's principal may send there, but nobody has that name.
    case unknownPeer
    /// The sender's principal may not send to that name.
    case forbidden
}

/// A connection's last route: the destination name it sent to and the verdict, valid while the
/// registry's generation is unchanged (it changes when a name comes or goes and on reload). A
/// sender that keeps writing to one peer decides with one memcmp instead of a pattern match, a
/// hash lookup and an allocation.
struct RouteCache {
    private var name: [UInt8] = []
    private var route: Route?
    private var generation: UInt64 = .max

    /// The cached route for `destination`, if the cache is for that name and still current.
    func route(for destination: UnsafeRawBufferPointer, generation current: UInt64) -> Route? {
        guard generation == current, let route, name.count == destination.count else { return nil }
        let same = name.withUnsafeBytes { memcmp($0.baseAddress!, destination.baseAddress!, destination.count) == 0 }
        return same ? route : nil
    }

    mutating func remember(_ destination: UnsafeRawBufferPointer, _ route: Route, generation: UInt64) {
        name.removeAll(keepingCapacity: true)
        name.append(contentsOf: destination)
        self.route = route
        self.generation = generation
    }

    mutating func forget() {
        route = nil
        generation = .max
    }
}
