import Foundation
import MPRelayControl
@testable import MPRelayHTTP
import Testing

/// The status page's cluster section shows every field of a cluster node's report, and only when
/// the status has one.
@Suite("Status page cluster section")
struct StatusPageClusterTests {
    private let report = ClusterReport(
        name: "prod", node: "node-a", natsServer: "nats://10.0.0.5:4222", natsConnected: false,
        nodes: ["node-b"], remotePeers: 3, framesSent: 5, framesReceived: 6, frameErrors: 7, natsReconnects: 8
    )

    @Test func theScriptShowsEveryFieldOfTheClusterReport() throws {
        let line = try ControlProtocol.line(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object.count == 10)
        for key in object.keys {
            #expect(StatusPage.script.contains("cluster.\(key)"), "the status page does not show the cluster's \(key)")
        }
    }

    @Test func theSectionIsHiddenUntilAClusterIsReported() {
        #expect(StatusPage.html.contains(#"<section id="cluster-section" hidden>"#))
        #expect(StatusPage.html.contains(#"<table id="cluster">"#))
        #expect(StatusPage.script.contains(#"document.getElementById("cluster-section").hidden = !cluster;"#))
        #expect(StatusPage.script.contains("renderCluster(status.cluster);"))
    }
}
