import Foundation

/// What the monitoring server answers a request with, decided from its method, path and
/// `Authorization` header alone: no I/O, so a test drives every branch directly.
///
/// The token is checked first, so a client without it learns nothing, not even which paths
/// exist; then the method (only GET and HEAD), then the path.
enum MonitoringRoute: Equatable, Sendable {
    /// `/`: the status page.
    case statusPage
    /// `/status.js`: the status page's script.
    case pageScript
    /// `/status.css`: the status page's style sheet.
    case pageStyle
    /// `/metrics`: the Prometheus exposition.
    case metrics
    /// `/healthz`: ready and the relay path answers a probe.
    case health
    /// `/readyz`: ready alone.
    case readiness
    /// `/status`: the `status` answer.
    case status
    /// `/peers`: the `peers` answer.
    case peers
    /// `/peers/NAME`: the `peer` answer for one name (percent-decoded).
    case peer(String)
    /// `/endpoints`: the endpoints of the `status` answer.
    case endpoints
    /// A token is required and the request did not carry it: 401.
    case unauthorized
    /// Not GET or HEAD: 405 with `Allow`.
    case methodNotAllowed
    /// No such path: 404.
    case notFound

    /// The methods every path allows, as the `Allow` header of a 405 lists them.
    static let allowedMethods = "GET, HEAD"

    /// Decides the answer to one request.
    ///
    /// - Parameters:
    ///   - method: the request method as sent, e.g. `GET`.
    ///   - path: the path without the query string.
    ///   - authorization: the `Authorization` header, if any.
    ///   - token: the required token, or nil when requests need none.
    init(method: String, path: String, authorization: String?, token: BearerToken?) {
        if let token, !token.accepts(authorization) {
            self = .unauthorized
            return
        }
        guard method == "GET" || method == "HEAD" else {
            self = .methodNotAllowed
            return
        }
        switch path {
        case "/", "/index.html": self = .statusPage
        case "/status.js": self = .pageScript
        case "/status.css": self = .pageStyle
        case "/metrics": self = .metrics
        case "/healthz": self = .health
        case "/readyz": self = .readiness
        case "/status": self = .status
        case "/peers", "/peers/": self = .peers
        case "/endpoints": self = .endpoints
        default:
            let prefix = "/peers/"
            guard path.hasPrefix(prefix),
                let name = String(path.dropFirst(prefix.count)).removingPercentEncoding,
                !name.isEmpty,
                !name.contains("/")
            else {
                self = .notFound
                return
            }
            self = .peer(name)
        }
    }
}
