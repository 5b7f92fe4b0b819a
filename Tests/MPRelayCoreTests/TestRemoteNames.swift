import MPRelayCore
import MPRelayProtocol
import Synchronization

/// The names of other cluster nodes, as a test sets them: what a node's replica of the cluster's
/// bucket answers, without NATS.
final class TestRemoteNames: RemoteNames {
    private let holders: Mutex<[PeerName: String]>

    init(_ holders: [PeerName: String]) {
        self.holders = Mutex(holders)
    }

    /// Puts `name` on `node`, or (nil) nowhere.
    func set(_ name: PeerName, _ node: String?) {
        holders.withLock { $0[name] = node }
    }

    func node(holding name: PeerName) -> String? {
        holders.withLock { $0[name] }
    }
}
