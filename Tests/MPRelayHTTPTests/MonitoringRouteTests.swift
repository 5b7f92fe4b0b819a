@testable import MPRelayHTTP
import Testing

/// The decisions of the monitoring server, without a socket: token first, then method, then path.
@Suite("Monitoring routes")
struct MonitoringRouteTests {
    private let token = BearerToken(Array("0123456789abcdef-token".utf8))

    private func route(_ path: String, method: String = "GET", authorization: String? = nil, token: BearerToken? = nil) -> MonitoringRoute {
        MonitoringRoute(method: method, path: path, authorization: authorization, token: token)
    }

    @Test func everyPathHasItsRoute() {
        #expect(route("/") == .statusPage)
        #expect(route("/index.html") == .statusPage)
        #expect(route("/status.js") == .pageScript)
        #expect(route("/status.css") == .pageStyle)
        #expect(route("/metrics") == .metrics)
        #expect(route("/healthz") == .health)
        #expect(route("/readyz") == .readiness)
        #expect(route("/status") == .status)
        #expect(route("/peers") == .peers)
        #expect(route("/peers/") == .peers)
        #expect(route("/endpoints") == .endpoints)
        #expect(route("/peers/worker-3") == .peer("worker-3"))
        #expect(route("/peers/a%20b") == .peer("a b"))
    }

    @Test func unknownPathsAreNotFound() {
        #expect(route("/metrics/") == .notFound)
        #expect(route("/peers/a/b") == .notFound)
        #expect(route("/peers/a%2Fb") == .notFound)
        #expect(route("/peers/%zz") == .notFound)
        #expect(route("/../etc/passwd") == .notFound)
    }

    @Test func onlyGetAndHeadAreAllowed() {
        #expect(route("/metrics", method: "HEAD") == .metrics)
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get"] {
            #expect(route("/metrics", method: method) == .methodNotAllowed, "\(method)")
        }
        #expect(MonitoringRoute.allowedMethods == "GET, HEAD")
    }

    @Test func theTokenIsCheckedBeforeAnythingElse() {
        #expect(route("/metrics", token: token) == .unauthorized)
        #expect(route("/nowhere", method: "POST", token: token) == .unauthorized)
        #expect(route("/metrics", authorization: "Bearer 0123456789abcdef-token", token: token) == .metrics)
        #expect(route("/metrics", authorization: "bEaReR 0123456789abcdef-token", token: token) == .metrics)
        #expect(route("/metrics", method: "POST", authorization: "Bearer 0123456789abcdef-token", token: token) == .methodNotAllowed)
    }

    @Test func nearMissesOfTheTokenAreRefused() {
        for header in [
            "Bearer 0123456789abcdef-toke", "Bearer 0123456789abcdef-tokenn", "Bearer 0123456789abcdef-tokeN",
            "Basic 0123456789abcdef-token", "Bearer", "Bearer ", "0123456789abcdef-token", "",
        ] {
            #expect(!token.accepts(header), "\(header)")
        }
        #expect(!token.accepts(nil))
    }

    @Test func theComparisonIsByContentAndLength() {
        #expect(BearerToken.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!BearerToken.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!BearerToken.constantTimeEqual([], [0]))
        #expect(!BearerToken.constantTimeEqual([1, 2, 4], [1, 2, 3]))
        #expect(BearerToken.constantTimeEqual([], []))
    }
}
