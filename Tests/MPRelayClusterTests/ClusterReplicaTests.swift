import MPRelayCluster
import MPRelayNATS
import MPRelayProtocol
import Testing

/// The replica of the bucket: lookups, presence changes for remote names only, and the expiry
/// of a silent node's claims within the lease.
@Suite("Cluster replica")
struct ClusterReplicaTests {
    private let start = ContinuousClock.now
    private let lease = Duration.seconds(9)

    private func put(_ key: ClusterKey, _ value: String, revision: UInt64) -> NATSKeyValueEntry {
        NATSKeyValueEntry(bucket: "mprelay_test", key: key.description, value: Array(value.utf8), revision: revision, operation: .put)
    }

    private func delete(_ key: ClusterKey, revision: UInt64, operation: NATSKeyValueEntry.Operation = .delete) -> NATSKeyValueEntry {
        NATSKeyValueEntry(bucket: "mprelay_test", key: key.description, value: [], revision: revision, operation: operation)
    }

    @Test func remoteClaimsAreLookedUpAndAnnounced() {
        var replica = ClusterReplica(localNode: "a")
        #expect(replica.apply(put(.node("b"), "1", revision: 1), now: start) == [])
        #expect(replica.apply(put(.name("bob"), "b 1 7", revision: 2), now: start) == [.joined("bob", node: "b")])
        #expect(replica.owner(of: "bob") == ClusterReplica.Holder(claim: NameClaim(node: "b", incarnation: 1, connection: 7), revision: 2))
        #expect(replica.remoteNames == ["bob"])
        #expect(replica.liveNodes == ["b"])
        // A replace moves the name: LEFT from the old holder's node, JOINED from the new one's.
        #expect(replica.apply(put(.name("bob"), "c 2 3", revision: 3), now: start) == [.left("bob", node: "b"), .joined("bob", node: "c")])
        #expect(replica.apply(delete(.name("bob"), revision: 4), now: start) == [.left("bob", node: "c")])
        #expect(replica.owner(of: "bob") == nil)
        #expect(replica.apply(put(.name("bob"), "c 2 3", revision: 5), now: start) == [.joined("bob", node: "c")])
        #expect(replica.apply(delete(.name("bob"), revision: 6, operation: .purge), now: start) == [.left("bob", node: "c")])
    }

    @Test func localClaimsAreNotAnnouncedTwice() {
        var replica = ClusterReplica(localNode: "a")
        #expect(replica.apply(put(.name("alice"), "a 1 1", revision: 1), now: start) == [])
        #expect(replica.owner(of: "alice")?.claim.node == "a")
        #expect(replica.remoteNames == [])
        #expect(replica.apply(put(.name("alice"), "b 1 1", revision: 2), now: start) == [.joined("alice", node: "b")])
        #expect(replica.apply(put(.name("alice"), "a 1 2", revision: 3), now: start) == [.left("alice", node: "b")])
    }

    @Test func keysAndValuesOfOthersAreIgnored() {
        var replica = ClusterReplica(localNode: "a")
        #expect(replica.apply(NATSKeyValueEntry(bucket: "x", key: "other", value: [1], revision: 1, operation: .put), now: start) == [])
        #expect(replica.apply(put(.name("bob"), "garbage", revision: 2), now: start) == [])
        #expect(replica.owner(of: "bob") == nil)
    }

    @Test func leasesRenewedAfterThisNodeWasCutOffGetAWholePeriodAgain() {
        var replica = ClusterReplica(localNode: "a")
        _ = replica.apply(put(.node("b"), "1", revision: 1), now: start)
        _ = replica.apply(put(.name("x"), "b 1 1", revision: 2), now: start)
        // This node was cut off from 1 s to 30 s: b's silence then says nothing about b.
        replica.renewLeases(now: start + .seconds(30))
        #expect(replica.expire(now: start + .seconds(35), lease: lease) == [])
        #expect(replica.liveNodes == ["b"])
        #expect(replica.expire(now: start + .seconds(36), lease: lease).map(\.key) == [.name("x"), .node("b")])
    }

    @Test func anExpiryWhoseDeleteFailedIsListedAgain() {
        var replica = ClusterReplica(localNode: "a")
        _ = replica.apply(put(.node("b"), "1", revision: 1), now: start)
        _ = replica.apply(put(.name("x"), "b 1 1", revision: 2), now: start)
        #expect(replica.expire(now: start + .seconds(6), lease: lease).count == 2)
        #expect(replica.expire(now: start + .seconds(7), lease: lease) == [])
        replica.retryExpiry(of: "b")
        #expect(replica.expire(now: start + .seconds(8), lease: lease).map(\.key) == [.name("x"), .node("b")])
    }

    @Test func aSilentNodesClaimsExpireWithinTheLease() {
        var replica = ClusterReplica(localNode: "a")
        _ = replica.apply(put(.node("a"), "1", revision: 1), now: start)
        _ = replica.apply(put(.node("b"), "1", revision: 2), now: start)
        _ = replica.apply(put(.name("x"), "b 1 1", revision: 3), now: start)
        _ = replica.apply(put(.name("w"), "b 1 2", revision: 4), now: start)
        _ = replica.apply(put(.name("mine"), "a 1 3", revision: 5), now: start)
        #expect(replica.expire(now: start + .seconds(5), lease: lease) == [])
        // A refresh at 5 s restarts the count.
        _ = replica.apply(put(.node("b"), "1", revision: 6), now: start + .seconds(5))
        #expect(replica.expire(now: start + .seconds(10), lease: lease) == [])
        let expired = replica.expire(now: start + .seconds(11), lease: lease)
        #expect(expired == [
            .init(key: .name("w"), revision: 4, node: "b"),
            .init(key: .name("x"), revision: 3, node: "b"),
            .init(key: .node("b"), revision: 6, node: "b"),
        ])
        #expect(replica.liveNodes == [])
        // Listed once, even when the deletes come back through the watch; this node's own lease
        // never expires here.
        _ = replica.apply(delete(.name("w"), revision: 8), now: start + .seconds(11))
        _ = replica.apply(delete(.node("b"), revision: 9), now: start + .seconds(11))
        #expect(replica.expire(now: start + .seconds(60), lease: lease) == [])
        // A node that comes back is live again.
        _ = replica.apply(put(.node("b"), "2", revision: 10), now: start + .seconds(61))
        #expect(replica.liveNodes == ["b"])
    }

    @Test func claimsOfANodeWithoutALeaseExpireToo() {
        var replica = ClusterReplica(localNode: "a")
        _ = replica.apply(put(.name("x"), "gone 1 1", revision: 3), now: start)
        #expect(replica.expire(now: start + .seconds(6), lease: lease) == [.init(key: .name("x"), revision: 3, node: "gone")])
    }

    @Test func claimsLeftBehindByANodeThatLeftAreDueAtOnce() {
        var replica = ClusterReplica(localNode: "a")
        _ = replica.apply(put(.node("b"), "1", revision: 1), now: start)
        _ = replica.apply(put(.name("x"), "b 1 1", revision: 2), now: start)
        _ = replica.apply(delete(.node("b"), revision: 3), now: start)
        #expect(replica.liveNodes == [])
        #expect(replica.expire(now: start, lease: lease) == [.init(key: .name("x"), revision: 2, node: "b")])
    }

    @Test func claimsOfAnEarlierRunAreStale() {
        var replica = ClusterReplica(localNode: "a")
        _ = replica.apply(put(.name("old"), "a 1 1", revision: 1), now: start)
        _ = replica.apply(put(.name("new"), "a 2 1", revision: 2), now: start)
        _ = replica.apply(put(.name("theirs"), "b 1 1", revision: 3), now: start)
        #expect(replica.staleClaims(incarnation: 2) == [.init(key: .name("old"), revision: 1, node: "a")])
    }
}
