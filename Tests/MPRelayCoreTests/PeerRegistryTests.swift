import MPRelayCore
import MPRelayProtocol
import Testing

@Suite struct PeerRegistryTests {
    private let registry = PeerRegistry<TestPeer>()
    private let alice = TestPeer("alice")
    private let bob = TestPeer("bob")
    private let watcher = TestPeer("watcher")

    @Test func aNameHasOneHolderAndIsFoundByItsBytes() throws {
        #expect(registry.register("alice", alice, principal: "p")?.isEmpty == true)
        #expect(registry.register("alice", bob, principal: "p") == nil)
        #expect(registry.lookup("alice") === alice)
        #expect(withNameBytes("alice") { registry.lookup($0) } === alice)
        #expect(withNameBytes("nobody") { registry.lookup($0) } == nil)
        #expect(Array("\u{FF}".utf8).withUnsafeBytes { registry.lookup($0) } == nil)
        let holder = try #require(registry.holder(of: "alice"))
        #expect(holder.peer === alice && holder.principal == "p")
        #expect(registry.count == 1)
    }

    @Test func theGenerationMovesWhenANameComesOrGoesOrRulesChange() {
        var seen = [registry.generation]
        _ = registry.register("alice", alice, principal: "p")
        seen.append(registry.generation)
        _ = registry.register("alice", bob, principal: "p")
        #expect(registry.generation == seen.last, "a refused registration changes nothing")
        _ = registry.unregister("alice", bob)
        #expect(registry.generation == seen.last, "only the holder releases a name")
        _ = registry.unregister("alice", alice)
        seen.append(registry.generation)
        registry.invalidateRoutes()
        seen.append(registry.generation)
        #expect(Set(seen).count == 4)
    }

    @Test func watchersHearOfOthersButNotOfThemselves() {
        registry.setWatching(watcher, true)
        #expect(registry.register("watcher", watcher, principal: "p")?.isEmpty == true)
        #expect(registry.register("alice", alice, principal: "p")?.map(\.description) == ["watcher"])
        #expect(registry.unregister("alice", alice).map(\.description) == ["watcher"])
        registry.setWatching(watcher, false)
        #expect(registry.register("alice", alice, principal: "p")?.isEmpty == true)
    }

    @Test func aLeavingWatcherStopsWatching() {
        registry.setWatching(watcher, true)
        _ = registry.register("watcher", watcher, principal: "p")
        _ = registry.unregister("watcher", watcher)
        #expect(registry.register("alice", alice, principal: "p")?.isEmpty == true)
    }

    @Test func replacingHandsTheNameOverAndSilencesThePreviousHolder() {
        _ = registry.register("alice", alice, principal: "p")
        registry.setWatching(alice, true)
        registry.setWatching(watcher, true)
        let (previous, watchers) = registry.replace("alice", with: bob, principal: "q")
        #expect(previous === alice)
        #expect(watchers.map(\.description) == ["watcher"])
        #expect(registry.lookup("alice") === bob)
        #expect(registry.holder(of: "alice")?.principal == "q")
        #expect(registry.unregister("alice", alice).isEmpty, "the replaced holder no longer holds the name")
        #expect(registry.lookup("alice") === bob)
    }

    @Test func namesAreListedSortedBytewise() throws {
        for (name, peer) in [("b", bob), ("a", alice), ("B", watcher)] {
            _ = registry.register(try PeerName(name), peer, principal: "p")
        }
        #expect(registry.names().map(\.description) == ["B", "a", "b"])
        #expect(Set(registry.peers().map(\.description)) == ["alice", "bob", "watcher"])
    }
}
