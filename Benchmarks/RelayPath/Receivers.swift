import MPRelayCore
import MPRelayProtocol

/// A registered peer as the benchmarks see it: the core's registry and router are generic over
/// the peer handle, and the broker's handle is a connection with a socket.
final class Receiver: Sendable {
    /// Its position among the registered peers.
    let index: Int

    init(index: Int) {
        self.index = index
    }

    /// A registry holding `count` peers named `worker-0` ... of one principal.
    static func registry(count: Int) -> PeerRegistry<Receiver> {
        let registry = PeerRegistry<Receiver>()
        for index in 0..<count {
            do {
                _ = registry.register(try PeerName("worker-\(index)"), Receiver(index: index), principal: "workers")
            } catch {
                preconditionFailure("\(error)")
            }
        }
        return registry
    }

    /// A router for a sender that may send anywhere, as an endpoint's bare key allows.
    static func router(over registry: PeerRegistry<Receiver>) -> SendRouter<Receiver> {
        var router = SendRouter(registry: registry)
        router.setAccess(AccessRules(mayRegister: ["*"], maySendTo: ["*"], mayList: true))
        return router
    }
}

/// The default `[broker]` limits, as far as the relay path reads them.
let benchmarkLimits = RelayLimits(
    maxMessageBytes: 16 * 1024 * 1024,
    maxOutboundBytes: 64 * 1024 * 1024,
    maxOutboundMessages: 1_048_576,
    slowConsumerTimeout: 30,
    handshakeTimeout: 10,
    idleTimeout: 60,
    drainTimeout: 5,
    maxConnections: 10_000,
    maxHandshakes: 1024,
    authFailureLimit: 10,
    authFailureWindow: 60,
    authFailurePenalty: 60
)
