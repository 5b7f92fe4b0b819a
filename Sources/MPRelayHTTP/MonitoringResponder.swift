import Hummingbird
import MPRelayControl
import MPRelayControlServer
import Synchronization

/// Answers monitoring requests from snapshots: the same report types, built by the same code, as
/// the control socket's answers, so `GET /status` and `mprelayctl status --json` agree.
///
/// Runs on the monitoring server's thread, never on a relay queue; what takes the broker's locks
/// runs on the ``RelayStateReader``'s thread (and `/healthz` waits on one shared probe).
struct MonitoringResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let reader: RelayStateReader
    let exposition: ExpositionCache
    let health: HealthCheck
    /// The token requests must carry; replaced in place when a reload changes `token_file`.
    let token: TokenSlot

    func respond(to request: Request, context: Context) async throws -> Response {
        let route = MonitoringRoute(
            method: request.method.rawValue,
            path: request.uri.path,
            authorization: request.headers[.authorization],
            token: token.current
        )
        let response: Response
        do {
            response = try await answer(route)
        } catch {
            response = .text("the daemon is shutting down\n", status: .serviceUnavailable)
        }
        return request.method == .head ? response.createHeadResponse() : response
    }

    private func answer(_ route: MonitoringRoute) async throws -> Response {
        switch route {
        case .statusPage: return .text(StatusPage.html, type: "text/html; charset=utf-8")
        case .pageScript: return .text(StatusPage.script, type: "text/javascript; charset=utf-8")
        case .pageStyle: return .text(StatusPage.style, type: "text/css; charset=utf-8")
        case .metrics:
            let metrics = try await exposition.current()
            return .text(metrics.text, type: metrics.contentType)
        case .health:
            guard let problem = await health.problem() else { return .text("ok\n") }
            return .text(problem + "\n", status: .serviceUnavailable)
        case .readiness:
            let phase = health.current
            return .text(phase.rawValue + "\n", status: phase == .ready ? .ok : .serviceUnavailable)
        case .status:
            return .json(ControlAnswer(command: .status, result: try await reader.read { $0.status() }))
        case .peers:
            return .json(ControlAnswer(command: .peers, result: try await reader.read { $0.peers() }))
        case .peer(let name):
            guard let peer = try await reader.read({ $0.peer(named: name) }) else {
                let failure = ControlFailure(.unknownPeer, "no peer named \"\(name)\" is registered; GET /peers lists them")
                return .json(ControlAnswer<NoResult>(command: .peer, failure: failure), status: .notFound)
            }
            return .json(ControlAnswer(command: .peer, result: peer))
        case .endpoints:
            return .json(EndpointList(endpoints: try await reader.read { $0.status().endpoints }))
        case .unauthorized:
            var response = Response.text("a bearer token is required: Authorization: Bearer <token of [http] token_file>\n", status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"mprelay\""
            return response
        case .methodNotAllowed:
            var response = Response.text("only GET and HEAD are served\n", status: .methodNotAllowed)
            response.headers[.allow] = MonitoringRoute.allowedMethods
            return response
        case .notFound:
            return .text("no such page: see docs/OPERATIONS.md for the monitoring endpoints\n", status: .notFound)
        }
    }
}

/// The `/endpoints` answer: the endpoints of the `status` answer, alone.
struct EndpointList: Codable, Sendable {
    /// Every configured endpoint, in configuration order.
    var endpoints: [EndpointReport]
}

/// The bearer token in force, shared by the server's requests and replaced by a reload.
final class TokenSlot: Sendable {
    private let token: Mutex<BearerToken?>

    /// Holds `token`; nil when requests need none.
    init(_ token: BearerToken?) {
        self.token = Mutex(token)
    }

    /// The token in force.
    var current: BearerToken? { token.withLock { $0 } }

    /// Puts `new` in force for the requests that arrive from now on.
    func replace(with new: BearerToken?) {
        token.withLock { $0 = new }
    }
}

extension Response {
    /// A text answer that no cache keeps and no browser sniffs as another type.
    static func text(_ body: String, type: String = "text/plain; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = "default-src 'self'; frame-ancestors 'none'"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// A JSON answer, encoded as the control protocol encodes it (one line, sorted keys).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        do {
            let line = try ControlProtocol.line(value)
            return text(String(decoding: line, as: UTF8.self), type: "application/json", status: status)
        } catch {
            return text("the answer could not be encoded: \(error)\n", status: .internalServerError)
        }
    }
}
