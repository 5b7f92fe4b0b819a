import Dispatch
import MPRelayCommon
import MPRelayCore
import MPRelayProtocol

extension Connection {
    /// After a reload: the connection takes its principal's new rights, or is disconnected when
    /// its endpoint no longer lists that principal with the key it proved. Peers of an endpoint
    /// that was removed keep their connection and rights; the endpoint only stops accepting.
    func applyReload(_ endpoints: [EndpointAddress: EndpointSettings]) {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        limits = context.limits
        let outcome: HandshakeOutcome
        switch phase {
        case .awaitingHello(let established), .registered(_, let established):
            outcome = established
        case .handshaking, .closing:
            return
        }
        guard let configured = endpoints[endpoint.configuredAddress] else { return }
        guard let renewed = endpoint.principal(ofKey: outcome.keyIndex, in: configured.principals) else {
            fail(.kicked, text: "its key or principal was removed from endpoint \(endpoint.configuredAddress) by a configuration reload")
            return
        }
        let rules = renewed.rules
        principal = rules
        router.setAccess(rules.access)
    }
}
