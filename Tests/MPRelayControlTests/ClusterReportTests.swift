import Foundation
@testable import MPRelayControl
@testable import MPRelayControlServer
import Testing

/// A cluster node's reports: the status section, the cluster-wide peer list, the `cluster`
/// request field and the `mprelay_cluster_*` metrics; and a single node's output unchanged.
@Suite("Cluster reports")
struct ClusterReportTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func statusTextHasTheClusterSectionBeforeTheEndpoints() {
        let text = ControlFixtures.clusterStatus.humanText
        let section = """

            cluster            prod
            node               node-a
            nats server        nats://10.0.0.5:4222
            other nodes        node-b, node-c
            remote peers       3
            cross-node frames  12,345 sent, 678 received, 2 errors
            nats reconnects    1

            ENDPOINT
            """
        #expect(text.contains(section), "\(text)")
        #expect(text.hasPrefix(ControlFixtures.status.humanText.components(separatedBy: "\n\n")[0] + "\n\n"))
    }

    @Test func aDisconnectedNodeNamesTheLastServerAndALoneNodeSaysNone() {
        var cluster = ControlFixtures.cluster
        cluster.natsConnected = false
        cluster.nodes = []
        #expect(cluster.humanText.contains("\nnats server        disconnected, last nats://10.0.0.5:4222\n"))
        #expect(cluster.humanText.contains("\nother nodes        none\n"))
    }

    @Test func aSingleNodeStatusHasNoClusterAnywhere() throws {
        let status = ControlFixtures.status
        #expect(!status.humanText.contains("cluster"))
        let line = text(try ControlProtocol.line(ControlAnswer(command: .status, result: status)))
        #expect(!line.contains("cluster"), "\(line)")
        #expect(!MetricsExposition.render(status: status, peers: [], controlClients: 1, logLinesDropped: 0).contains("mprelay_cluster_"))
    }

    @Test func clusterStatusJSONUsesTheDocumentedKeysAndRoundTrips() throws {
        let line = try ControlProtocol.line(ControlAnswer(command: .status, result: ControlFixtures.clusterStatus))
        let cluster = #""cluster":{"frame_errors":2,"frames_received":678,"frames_sent":12345,"name":"prod","nats_connected":true,"# +
            #""nats_reconnects":1,"nats_server":"nats://10.0.0.5:4222","node":"node-a","nodes":["node-b","node-c"],"remote_peers":3}"#
        #expect(text(line).contains(cluster), "\(text(line))")
        #expect(try ControlProtocol.makeDecoder().decode(ControlAnswer<StatusReport>.self, from: Data(line)).get() == ControlFixtures.clusterStatus)
    }

    @Test func theClusterFieldSelectsTheClusterWideList() throws {
        #expect(text(ControlRequest.clusterPeers.line()) == #"{"cluster":true,"command":"peers","version":1}"# + "\n")
        #expect(text(ControlRequest.peers.line()) == #"{"command":"peers","version":1}"# + "\n")
        #expect(try ControlRequest.parse(ControlRequest.clusterPeers.line().dropLast()) == .clusterPeers)
        #expect(try ControlRequest.parse(Array(#"{"version":1,"command":"peers","cluster":false}"#.utf8)) == .peers)
        #expect(ControlRequest.clusterPeers.command == .peers)
        do {
            let request = try ControlRequest.parse(Array(#"{"version":1,"command":"peers","cluster":"yes"}"#.utf8))
            Issue.record("parsed as \(request)")
        } catch {
            #expect(error.code == .badRequest)
            #expect(error.message == "field \"cluster\" must be a boolean", "\(error.message)")
        }
    }

    @Test func clusterPeerListSortsEveryNodesPeersByNameWithTheirNode() throws {
        let list = PeerList(
            peers: [ControlFixtures.peer("beta"), ControlFixtures.peer("delta", connection: 9)],
            node: "node-a",
            remotePeers: [RemotePeerReport(name: "alpha", node: "node-b"), RemotePeerReport(name: "gamma", node: "node-c")]
        )
        let lines = list.humanText.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("NAME   NODE    CONN  ENDPOINT"))
        #expect(lines[1] == "alpha  node-b")
        #expect(lines[2].hasPrefix("beta   node-a     7  127.0.0.1:40211  127.0.0.1:51234  sha256"))
        #expect(lines[3].hasPrefix("delta  node-a     9"))
        #expect(lines[4] == "gamma  node-c")
        #expect(PeerList(peers: [], node: "node-a", remotePeers: []).humanText == "no peers registered in the cluster\n")
        let json = text(try ControlProtocol.line(list))
        #expect(json.hasSuffix(#""remote_peers":[{"name":"alpha","node":"node-b"},{"name":"gamma","node":"node-c"}]}"# + "\n"), "\(json)")
        #expect(json.contains(#""node":"node-a""#))
        #expect(!text(try ControlProtocol.line(PeerList(peers: list.peers))).contains("node"))
    }

    @Test func clusterMetricsComeFromTheClusterReport() {
        let text = MetricsExposition.render(status: ControlFixtures.clusterStatus, peers: [], controlClients: 1, logLinesDropped: 0)
        let expected = [
            "mprelay_cluster_frames_sent_total 12345", "mprelay_cluster_frames_received_total 678",
            "mprelay_cluster_frame_errors_total 2", "mprelay_cluster_nats_reconnects_total 1",
            "mprelay_cluster_nodes 2.0", "mprelay_cluster_remote_peers 3.0", "mprelay_cluster_nats_connected 1.0",
        ]
        let lines = Set(text.split(separator: "\n").map(String.init))
        for line in expected {
            #expect(lines.contains(line), "\(line) missing from\n\(text)")
        }
        #expect(text.contains("# TYPE mprelay_cluster_frames_sent_total counter\n"))
        #expect(text.contains("# TYPE mprelay_cluster_nats_connected gauge\n"))
        var down = ControlFixtures.clusterStatus
        down.cluster?.natsConnected = false
        #expect(MetricsExposition.render(status: down, peers: [], controlClients: 1, logLinesDropped: 0).contains("\nmprelay_cluster_nats_connected 0.0\n"))
    }
}
