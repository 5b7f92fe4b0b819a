@testable import MPRelayControl
@testable import MPRelayControlServer
import MPRelayProtocol
import Testing

/// The Prometheus exposition: every family typed and documented, sorted, every ERROR code listed.
@Suite("Metrics exposition")
struct MetricsExpositionTests {
    /// Sample lines by series (`name{labels}`), with their values.
    private func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            // Label values may hold spaces; the value is after the last one.
            let space = line.lastIndex(of: " ")!
            result[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return result
    }

    @Test func countersAndGaugesComeFromTheStatus() {
        let text = MetricsExposition.render(status: ControlFixtures.status, peers: [], controlClients: 1, logLinesDropped: 4)
        let values = samples(text)
        #expect(values["mprelay_messages_relayed_total"] == 1_234_567)
        #expect(values["mprelay_bytes_relayed_total"] == 1_610_612_736)
        #expect(values["mprelay_auth_failures_total"] == 2)
        #expect(values["mprelay_connections_accepted_total"] == 12)
        #expect(values["mprelay_errors_total{code=\"11\",name=\"kicked\"}"] == 1)
        #expect(values["mprelay_errors_total{code=\"1\",name=\"unknown peer\"}"] == 3)
        #expect(values["mprelay_errors_total{code=\"6\",name=\"peer busy\"}"] == 0)
        #expect(values["mprelay_connections"] == 3)
        #expect(values["mprelay_peers"] == 2)
        #expect(values["mprelay_handshakes_in_progress"] == 1)
        #expect(values["mprelay_endpoints_listening"] == 1)
        #expect(values["mprelay_control_clients"] == 1)
        #expect(values["mprelay_log_lines_dropped_total"] == 4)
        #expect(values["mprelay_uptime_seconds"] == 3_725.5)
        #expect(values["mprelay_build_info{version=\"0.1.0\"}"] == 1)
        #expect(text.contains("# TYPE mprelay_messages_relayed_total counter\n"))
        #expect(text.contains("# TYPE mprelay_peers gauge\n"))
    }

    @Test func familiesAreSortedAndEachHasHelpAndType() {
        let text = MetricsExposition.render(status: ControlFixtures.status, peers: [], controlClients: 1, logLinesDropped: 4)
        let names = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(names == names.sorted())
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }.count == names.count)
        let codes = text.split(separator: "\n").filter { $0.hasPrefix("mprelay_errors_total{") }.map { $0.split(separator: "\"")[1] }
        #expect(codes == RelayErrorCode.allCases.map { Substring(String($0.rawValue)) })
    }
}
