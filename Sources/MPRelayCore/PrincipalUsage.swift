import Synchronization

/// How many connections and names each principal holds, so its quotas can be enforced. Shared by
/// every connection.
public final class PrincipalUsage: Sendable {
    /// What a principal's quota counts.
    public enum Resource: Sendable {
        /// Connections whose handshake finished.
        case connections
        /// Registered names.
        case names
    }

    private struct Counts {
        var connections = 0
        var names = 0
    }

    private let counts = Mutex<[String: Counts]>([:])

    /// No principal holds anything.
    public init() {}

    /// Takes one `resource` for `principal` unless it is at `limit` (nil: no limit).
    public func claim(_ resource: Resource, for principal: String, limit: Int?) -> Bool {
        counts.withLock { counts in
            var entry = counts[principal, default: Counts()]
            let held = resource == .connections ? entry.connections : entry.names
            if let limit, held >= limit { return false }
            if resource == .connections { entry.connections += 1 } else { entry.names += 1 }
            counts[principal] = entry
            return true
        }
    }

    /// Gives back one `resource` of `principal`.
    public func release(_ resource: Resource, for principal: String) {
        counts.withLock { counts in
            guard var entry = counts[principal] else { return }
            if resource == .connections { entry.connections -= 1 } else { entry.names -= 1 }
            counts[principal] = entry.connections == 0 && entry.names == 0 ? nil : entry
        }
    }

    /// How many of `resource` `principal` holds now.
    public func held(_ resource: Resource, by principal: String) -> Int {
        counts.withLock { counts in
            guard let entry = counts[principal] else { return 0 }
            return resource == .connections ? entry.connections : entry.names
        }
    }
}
