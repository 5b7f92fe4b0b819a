import MPRelayConfig
import MPRelayControl

/// Who may use the control socket: root and the daemon's own user always; others only when their
/// uid is in `allow_users` or one of their groups (primary or supplementary) is in `allow_groups`.
struct ControlAccess: Equatable, Sendable {
    /// The daemon's effective uid.
    let daemonUID: UInt32
    let allowUsers: Set<UInt32>
    let allowGroups: Set<UInt32>

    init(daemonUID: UInt32, configuration: ControlConfig) {
        self.daemonUID = daemonUID
        self.allowUsers = Set(configuration.allowUsers)
        self.allowGroups = Set(configuration.allowGroups)
    }

    /// Nil when `caller` may send commands, else why not, for the WARNING line.
    func refusal(of caller: PeerCredentials) -> String? {
        if caller.uid == 0 || caller.uid == daemonUID || allowUsers.contains(caller.uid) { return nil }
        if allowGroups.contains(caller.gid) || caller.groups.contains(where: allowGroups.contains) { return nil }
        return "uid \(caller.uid) is not root, not the daemon's user (uid \(daemonUID)), not in [control] allow_users, and none of its groups is in allow_groups"
    }
}
