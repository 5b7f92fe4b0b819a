import MPRelayCore
import MPRelayProtocol

/// The peer handle the core's tests register: an object with a label, nothing else.
final class TestPeer: Sendable, CustomStringConvertible {
    let description: String

    init(_ label: String) {
        description = label
    }
}

/// A principal that may do everything, with the given quotas and conflict policy.
func openPrincipal(
    _ name: String = "everyone",
    maxNames: Int? = nil,
    onNameConflict: PrincipalRules.NameConflict = .refuse
) -> PrincipalRules {
    PrincipalRules(
        name: name,
        access: AccessRules(mayRegister: ["*"], maySendTo: ["*"], mayList: true),
        maxNames: maxNames,
        onNameConflict: onNameConflict
    )
}

/// Calls `body` with the bytes of `name`, as a SEND carries a destination.
func withNameBytes<Result>(_ name: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    Array(name.utf8).withUnsafeBytes(body)
}
