public import MPRelayBroker
public import MPRelayConfig
import MPRelayCore
import MPRelayProtocol

extension EndpointSettings {
    /// The endpoint an `[[endpoint]]` table describes; `allowLegacyMD5` is `[broker]`'s.
    public init(_ endpoint: EndpointConfig, allowLegacyMD5: Bool) {
        self.init(
            address: endpoint.address,
            mode: endpoint.mode,
            principals: endpoint.principals.map(EndpointPrincipal.init),
            policy: HandshakePolicy(allowLegacyMD5: allowLegacyMD5, minimumDigest: endpoint.minimumDigest),
            tls: endpoint.tls
        )
    }
}

extension EndpointPrincipal {
    /// The principal a `[[principal]]` table (or an endpoint's bare authkey) describes.
    public init(_ principal: PrincipalConfig) {
        self.init(
            rules: PrincipalRules(
                name: principal.name,
                access: AccessRules(mayRegister: principal.mayRegister, maySendTo: principal.maySendTo, mayList: principal.mayList),
                maxConnections: principal.maxConnections,
                maxNames: principal.maxNames,
                onNameConflict: principal.onNameConflict == .replace ? .replace : .refuse
            ),
            keys: principal.keys.map(\.bytes),
            tlsSubjects: principal.tlsSubjects,
            isImplicit: principal.isImplicit
        )
    }
}
