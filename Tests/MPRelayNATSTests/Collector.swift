import Foundation
import MPRelayNATS
import NATSTestSupport
import Testing

/// The cluster suites: one cluster, one test at a time, since some stop servers.
@Suite("against a real three-node nats-server cluster", .serialized, .enabled(if: NATSCluster.enabled))
struct NATSClusterTests {}

extension NATSConnection {
    /// A connection whose events go to `events`.
    static func make(_ options: NATSConnectionOptions, events: Collector<NATSConnectionEvent>? = nil) throws -> NATSConnection {
        var options = options
        if let events { options.onEvent = { events.append($0) } }
        return try NATSConnection(options: options)
    }
}

/// Publishes to `subject` from `publisher` until `seen` holds a message: a subscription made on
/// another server is known to the publisher's server only once the cluster's routes carried it.
func awaitInterest(from publisher: NATSConnection, subject: String, seen: Collector<NATSMessage>) throws -> Bool {
    for _ in 0..<100 {
        try publisher.publish(subject, payload: [])
        if !seen.wait(count: 1, timeout: 0.05).isEmpty { return true }
    }
    return false
}
