import MPRelayCluster
import MPRelayProtocol
import Testing

/// Bucket keys and claim values: one key per name, readable where the name allows, and
/// nothing else parsed as mprelay's.
@Suite("Cluster keys")
struct ClusterKeyTests {
    @Test func plainNamesStayReadable() {
        #expect(ClusterKey.name("worker-1").description == "name.worker-1")
        #expect(ClusterKey.name("a.b").description == "name.a=2Eb")
        #expect(ClusterKey.name("é=").description == "name.=C3=A9=3D")
        #expect(ClusterKey.node("node-a").description == "node.node-a")
    }

    @Test func everyKeyParsesBack() throws {
        for text in ["worker-1", "a.b", "é=", "x/y>z", String(repeating: "ü", count: 127), "="] {
            let name = try PeerName(text)
            #expect(ClusterKey(ClusterKey.name(name).description) == .name(name))
        }
        #expect(ClusterKey("node.node-a") == .node("node-a"))
    }

    @Test func otherKeysAreNotMprelays() {
        for key in ["", "name.", "name.a=2", "name.a=2e", "name.=41", "name.a=ZZ", "name.a.b", "node.", "node.a.b", "other.x", "name.=20"] {
            #expect(ClusterKey(key) == nil, "\(key)")
        }
    }

    @Test func claimValuesAreReadableText() {
        let claim = NameClaim(node: "node-a", incarnation: 0xBEEF, connection: 12)
        #expect(claim.description == "node-a beef 12")
        #expect(NameClaim(claim.bytes) == claim)
        for value in ["", "node-a beef", "node-a beef 12 x", "a.b 1 2", "node-a zz 1", "node-a 1 -1", " 1 2"] {
            #expect(NameClaim(Array(value.utf8)) == nil, "\(value)")
        }
    }
}
