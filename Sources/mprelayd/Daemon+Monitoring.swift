import Logging
import MPRelayConfig
import MPRelayHTTP

extension Daemon {
    /// Starts the `[http]` monitoring server when `listen` is set. The relay does not depend on
    /// it: when the address cannot be bound, that is logged and the relay runs without it.
    func startMonitoring(_ http: HTTPConfig) {
        guard http.listen != nil else { return }
        do {
            monitoring.commit(try monitoring.prepare(http))
        } catch {
            logger.error("no monitoring HTTP server, the relay runs without it: \(error)")
        }
    }
}
