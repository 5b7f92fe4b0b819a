public import MPRelayConfig
public import MPRelayCore

extension PrincipalRules {
    /// The rules a `[[principal]]` sets, as the relay core enforces them.
    public init(_ principal: PrincipalConfig) {
        self.init(
            name: principal.name,
            access: AccessRules(mayRegister: principal.mayRegister, maySendTo: principal.maySendTo, mayList: principal.mayList),
            maxConnections: principal.maxConnections,
            maxNames: principal.maxNames,
            onNameConflict: principal.onNameConflict == .replace ? .replace : .refuse
        )
    }
}
