import MPRelayCore
import MPRelayProtocol
import Testing

@Suite struct RegistrarTests {
    private let registry = PeerRegistry<TestPeer>()
    private let usage = PrincipalUsage()
    private var registrar: Registrar<TestPeer> { Registrar(registry: registry, usage: usage) }
    private let version = Envelope.protocolVersion

    /// The refusal, or nil when the HELLO registered.
    private func refusal(_ outcome: Registrar<TestPeer>.Outcome) -> RegistrationRefusal? {
        if case .refused(let refusal) = outcome { return refusal }
        return nil
    }

    /// The previous holder and the presence events, or nil when the HELLO was refused.
    private func registered(_ outcome: Registrar<TestPeer>.Outcome) -> (previous: TestPeer?, presence: [PresenceNotice<TestPeer>])? {
        if case .registered(let previous, let presence) = outcome { return (previous, presence) }
        return nil
    }

    @Test func aFreeNameIsRegisteredAndItsWatchersHearPeerJoined() throws {
        let watcher = TestPeer("watcher")
        registry.setWatching(watcher, true)
        let done = try #require(registered(registrar.hello(version: version, name: "alice", peer: TestPeer("alice"), principal: openPrincipal())))
        #expect(done.previous == nil)
        #expect(done.presence.count == 1)
        #expect(done.presence[0].watchers.map(\.description) == ["watcher"])
        #expect(done.presence[0].frame == Envelope.peerJoined("alice").encodedFrame())
        #expect(usage.held(.names, by: "everyone") == 1)
    }

    @Test func anotherProtocolVersionIsRefusedBeforeAnythingElse() {
        let outcome = registrar.hello(version: version + 1, name: "alice", peer: TestPeer("alice"), principal: openPrincipal())
        #expect(refusal(outcome) == .unsupportedVersion(version + 1))
        #expect(refusal(outcome)?.code == .unsupportedVersion)
        #expect(registry.count == 0)
    }

    @Test func aNameOutsideMayRegisterIsForbiddenCitingTheRule() {
        let workers = PrincipalRules(name: "workers", access: AccessRules(mayRegister: ["worker-*"], maySendTo: [], mayList: false))
        let outcome = registrar.hello(version: version, name: "coordinator", peer: TestPeer("c"), principal: workers)
        #expect(refusal(outcome) == .forbidden(rule: "may_register [\"worker-*\"]"))
        #expect(refusal(outcome)?.code == .notPermitted)
        #expect(registry.count == 0 && usage.held(.names, by: "workers") == 0)
        #expect(registered(registrar.hello(version: version, name: "worker-1", peer: TestPeer("w"), principal: workers)) != nil)
    }

    @Test func theCheckBeforeAClusterClaimRefusesWhatHelloWouldAndChangesNothing() {
        let workers = PrincipalRules(name: "workers", access: AccessRules(mayRegister: ["worker-*"], maySendTo: [], mayList: false))
        #expect(registrar.check(version: version + 1, name: "worker-1", principal: workers) == .unsupportedVersion(version + 1))
        #expect(registrar.check(version: version, name: "coordinator", principal: workers) == .forbidden(rule: "may_register [\"worker-*\"]"))
        #expect(registrar.check(version: version, name: "worker-1", principal: workers) == nil)
        #expect(registry.count == 0 && usage.held(.names, by: "workers") == 0)
    }

    @Test func maxNamesStopsAPrincipalAtItsQuota() {
        let principal = openPrincipal(maxNames: 2)
        for name: PeerName in ["a", "b"] {
            #expect(registered(registrar.hello(version: version, name: name, peer: TestPeer("\(name)"), principal: principal)) != nil)
        }
        let outcome = registrar.hello(version: version, name: "c", peer: TestPeer("c"), principal: principal)
        #expect(refusal(outcome) == .tooManyNames(principal: "everyone", limit: 2))
        #expect(refusal(outcome)?.text(for: "c") == "principal everyone already has max_names (2) names registered")
        #expect(registry.count == 2)
    }

    @Test func aTakenNameIsRefusedAndTheClaimedSlotGivenBack() {
        let holder = TestPeer("first")
        _ = registrar.hello(version: version, name: "alice", peer: holder, principal: openPrincipal("a"))
        let outcome = registrar.hello(version: version, name: "alice", peer: TestPeer("second"), principal: openPrincipal("b"))
        #expect(refusal(outcome) == .nameTaken)
        #expect(refusal(outcome)?.text(for: "alice") == "the name \"alice\" is already registered")
        #expect(registry.lookup("alice") === holder)
        #expect(usage.held(.names, by: "b") == 0)
    }

    @Test func replaceTakesTheNameAndTellsWatchersLeftThenJoined() throws {
        let first = TestPeer("first")
        let second = TestPeer("second")
        let watcher = TestPeer("watcher")
        _ = registrar.hello(version: version, name: "alice", peer: first, principal: openPrincipal("a"))
        registry.setWatching(watcher, true)
        let outcome = registrar.hello(version: version, name: "alice", peer: second, principal: openPrincipal("b", onNameConflict: .replace))
        let done = try #require(registered(outcome))
        #expect(done.previous === first)
        #expect(done.presence.map(\.frame) == [Envelope.peerLeft("alice").encodedFrame(), Envelope.peerJoined("alice").encodedFrame()])
        #expect(done.presence.allSatisfy { $0.watchers.map(\.description) == ["watcher"] })
        #expect(registry.lookup("alice") === second)
    }

    @Test func replacingAHolderOfTheSamePrincipalAtItsQuotaIsAllowed() {
        let principal = openPrincipal(maxNames: 1, onNameConflict: .replace)
        _ = registrar.hello(version: version, name: "alice", peer: TestPeer("first"), principal: principal)
        let outcome = registrar.hello(version: version, name: "alice", peer: TestPeer("second"), principal: principal)
        #expect(registered(outcome)?.previous?.description == "first")
        // The first holder gives its slot back when it closes; until then both are counted.
        #expect(usage.held(.names, by: "everyone") == 2)
        let other = registrar.hello(version: version, name: "bob", peer: TestPeer("bob"), principal: principal)
        #expect(refusal(other) == .tooManyNames(principal: "everyone", limit: 1))
    }

    @Test func leavingTellsTheWatchersPeerLeftOnlyIfTheNameWasHeld() {
        let alice = TestPeer("alice")
        let watcher = TestPeer("watcher")
        _ = registrar.hello(version: version, name: "alice", peer: alice, principal: openPrincipal())
        registry.setWatching(watcher, true)
        let stranger = registrar.leave("alice", TestPeer("stranger"))
        #expect(stranger.watchers.isEmpty)
        let left = registrar.leave("alice", alice)
        #expect(left.watchers.map(\.description) == ["watcher"])
        #expect(left.frame == Envelope.peerLeft("alice").encodedFrame())
        #expect(registry.count == 0)
    }
}
