import MPRelayCommon
import MPRelayConfig
@testable import MPRelayControl
@testable import MPRelayControlServer
import Testing

/// Configured endpoints paired with what the broker bound.
@Suite("Endpoint matching")
struct EndpointMatcherTests {
    @Test func portZeroMatchesTheBoundPortAndPeersAreCounted() {
        let reports = EndpointMatcher.reports(
            configured: [.inet(host: "127.0.0.1", port: 0), .unixPath("/run/r.sock"), .unixAbstract("relay"), .inet6(host: "::1", port: 7000)],
            listening: [.unixAbstract("relay"), .inet(host: "127.0.0.1", port: 40_211), .unixPath("/run/r.sock")],
            peerEndpoints: ["127.0.0.1:40211", "/run/r.sock", "127.0.0.1:40211"]
        )
        #expect(reports == [
            EndpointReport(address: "127.0.0.1:0", boundAddress: "127.0.0.1:40211", family: "tcp", state: .listening, peers: 2),
            EndpointReport(address: "/run/r.sock", boundAddress: "/run/r.sock", family: "unix", state: .listening, peers: 1),
            EndpointReport(address: "@relay", boundAddress: "@relay", family: "abstract", state: .listening, peers: 0),
            EndpointReport(address: "[::1]:7000", boundAddress: nil, family: "tcp6", state: .stopped, peers: 0),
        ])
    }

    @Test func twoPortZeroEndpointsOnOneHostEachGetOneBinding() {
        let reports = EndpointMatcher.reports(
            configured: [.inet(host: "127.0.0.1", port: 0), .inet(host: "127.0.0.1", port: 0)],
            listening: [.inet(host: "127.0.0.1", port: 1_111), .inet(host: "127.0.0.1", port: 2_222)],
            peerEndpoints: []
        )
        #expect(Set(reports.compactMap(\.boundAddress)) == ["127.0.0.1:1111", "127.0.0.1:2222"])
    }
}
