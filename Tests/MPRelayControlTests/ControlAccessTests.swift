import MPRelayConfig
@testable import MPRelayControl
@testable import MPRelayControlServer
import Testing

/// Who the control socket answers.
@Suite("Control access")
struct ControlAccessTests {
    private func caller(uid: UInt32, gid: UInt32 = 100, groups: [UInt32] = []) -> PeerCredentials {
        PeerCredentials(pid: 1, uid: uid, gid: gid, groups: groups)
    }

    private func access(users: [UInt32] = [], groups: [UInt32] = []) -> ControlAccess {
        var configuration = ControlConfig()
        configuration.allowUsers = users
        configuration.allowGroups = groups
        return ControlAccess(daemonUID: 998, configuration: configuration)
    }

    @Test func rootAndTheDaemonsUserAlways() {
        #expect(access().refusal(of: caller(uid: 0)) == nil)
        #expect(access().refusal(of: caller(uid: 998)) == nil)
    }

    @Test func othersOnlyWhenListed() {
        let refusal = access().refusal(of: caller(uid: 65_534))
        #expect(refusal?.contains("uid 65534 is not root, not the daemon's user (uid 998)") == true)
        #expect(access(users: [65_534]).refusal(of: caller(uid: 65_534)) == nil)
        #expect(access(users: [1_000]).refusal(of: caller(uid: 65_534)) != nil)
    }

    @Test func groupsCountByPrimaryOrSupplementaryGroup() {
        #expect(access(groups: [100]).refusal(of: caller(uid: 1_000, gid: 100)) == nil)
        #expect(access(groups: [27]).refusal(of: caller(uid: 1_000, gid: 100, groups: [4, 27])) == nil)
        #expect(access(groups: [27]).refusal(of: caller(uid: 1_000, gid: 100, groups: [4])) != nil)
    }
}
