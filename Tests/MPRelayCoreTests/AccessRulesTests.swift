import MPRelayCore
import Testing

@Suite struct AccessRulesTests {
    private let rules = AccessRules(mayRegister: ["worker-*"], maySendTo: ["coordinator", "w[0-9]"], mayList: false)

    @Test func globRulesMatchLikeFnmatch() {
        #expect(AccessRules.firstMatch(of: "worker-7", in: ["coordinator", "worker-*"]) == "worker-*")
        #expect(AccessRules.firstMatch(of: "coordinator", in: ["coordinator", "worker-*"]) == "coordinator")
        #expect(AccessRules.firstMatch(of: "workers", in: ["worker-?"]) == nil)
        #expect(AccessRules.firstMatch(of: "w1", in: ["w[0-9]"]) == "w[0-9]")
        #expect(AccessRules.firstMatch(of: "anyone", in: []) == nil)
    }

    @Test func registeringIsAllowedByAMatchingPatternAndDeniedCitingTheRule() {
        #expect(rules.register("worker-3") == .allowed)
        #expect(rules.register("coordinator") == .denied(rule: "may_register [\"worker-*\"]"))
    }

    @Test func sendingIsDecidedFromTheRawNameBytes() {
        #expect(withNameBytes("coordinator") { rules.send(to: $0) } == .allowed)
        #expect(withNameBytes("w5") { rules.send(to: $0) } == .allowed)
        #expect(withNameBytes("worker-1") { rules.send(to: $0) } == .denied(rule: rules.sendRule))
        let everyone = AccessRules(mayRegister: [], maySendTo: ["*"], mayList: true)
        #expect(withNameBytes("anyone at all") { everyone.send(to: $0) } == .allowed)
    }

    @Test func nothingIsAllowedUnlessListed() {
        let none = AccessRules(mayRegister: [], maySendTo: [], mayList: false)
        #expect(none.register("a") != .allowed)
        #expect(withNameBytes("a") { none.send(to: $0) } != .allowed)
        #expect(none.list() == .denied(rule: "may_list = false"))
        #expect(AccessRules(mayRegister: [], maySendTo: [], mayList: true).list() == .allowed)
    }
}
