import MPRelayCore
import MPRelayProtocol
import Testing

@Suite struct SendRouterTests {
    private let registry = PeerRegistry<TestPeer>()
    private let limits = RelayLimits(
        maxMessageBytes: 1024, maxOutboundBytes: 65_536, maxOutboundMessages: 16,
        slowConsumerTimeout: 1, handshakeTimeout: 1, idleTimeout: 0, drainTimeout: 1,
        maxConnections: 10, maxHandshakes: 10,
        authFailureLimit: 5, authFailureWindow: 60, authFailurePenalty: 60
    )

    /// The decision for a SEND to `name`, as a word: what the relay does with it.
    private func decide(_ router: inout SendRouter<TestPeer>, _ name: String, payload: Int = 10) -> String {
        let decision = withNameBytes(name) { router.decide(destination: $0, payloadLength: payload, limits: limits) }
        switch decision {
        case .tooLarge: return "too large"
        case .route(.forbidden): return "forbidden"
        case .route(.unknownPeer): return "unknown peer"
        case .route(.local(let peer)): return "deliver to \(peer)"
        case .route(.remote(let peer)): return "publish to node \(peer.node) for \(peer.name)"
        }
    }

    private func router(maySendTo: [String] = ["*"], remote: (any RemoteNames)? = nil) -> SendRouter<TestPeer> {
        var router = SendRouter(registry: registry, remote: remote)
        router.setAccess(AccessRules(mayRegister: [], maySendTo: maySendTo, mayList: false))
        return router
    }

    @Test func aRegisteredPeerGetsTheMessage() {
        let bob = TestPeer("bob")
        _ = registry.register("bob", bob, principal: "p")
        var router = router()
        #expect(decide(&router, "bob") == "deliver to bob")
        #expect(decide(&router, "bob") == "deliver to bob")
        #expect(decide(&router, "carol") == "unknown peer")
    }

    @Test func aPayloadOverMaxMessageBytesIsTooLargeWhateverTheDestination() {
        var router = router()
        #expect(decide(&router, "nobody", payload: 1025) == "too large")
        #expect(decide(&router, "nobody", payload: 1024) == "unknown peer")
    }

    @Test func aForbiddenDestinationIsForbiddenEvenIfNobodyHasIt() {
        _ = registry.register("secret", TestPeer("secret"), principal: "p")
        var router = router(maySendTo: ["worker-*"])
        #expect(decide(&router, "secret") == "forbidden")
        #expect(decide(&router, "nobody") == "forbidden")
        #expect(decide(&router, "worker-9") == "unknown peer")
    }

    @Test func withoutAccessRulesEverySendIsForbidden() {
        _ = registry.register("bob", TestPeer("bob"), principal: "p")
        var router = SendRouter(registry: registry)
        #expect(decide(&router, "bob") == "forbidden")
    }

    @Test func cachedRoutesFollowTheRegistry() {
        var router = router()
        #expect(decide(&router, "bob") == "unknown peer")
        let bob = TestPeer("bob")
        _ = registry.register("bob", bob, principal: "p")
        #expect(decide(&router, "bob") == "deliver to bob")
        _ = registry.unregister("bob", bob)
        #expect(decide(&router, "bob") == "unknown peer")
        _ = registry.register("bob", TestPeer("bob again"), principal: "p")
        #expect(decide(&router, "bob") == "deliver to bob again")
    }

    @Test func newAccessRulesTakeEffectAtOnce() {
        _ = registry.register("bob", TestPeer("bob"), principal: "p")
        var router = router()
        #expect(decide(&router, "bob") == "deliver to bob")
        router.setAccess(AccessRules(mayRegister: [], maySendTo: [], mayList: false))
        #expect(decide(&router, "bob") == "forbidden")
    }

    @Test func aNameHeldOnAnotherNodeRoutesToThatNode() {
        let remote = TestRemoteNames(["carol": "b"])
        _ = registry.register("bob", TestPeer("bob"), principal: "p")
        var router = router(remote: remote)
        #expect(decide(&router, "bob") == "deliver to bob")
        #expect(decide(&router, "carol") == "publish to node b for carol")
        #expect(decide(&router, "dave") == "unknown peer")
    }

    @Test func accessRulesDecideRemoteNamesAsLocalOnes() {
        var router = router(maySendTo: ["worker-*"], remote: TestRemoteNames(["secret": "b", "worker-1": "c"]))
        #expect(decide(&router, "secret") == "forbidden")
        #expect(decide(&router, "worker-1") == "publish to node c for worker-1")
    }

    @Test func cachedRemoteRoutesFollowTheRemoteNamesOnInvalidation() {
        let remote = TestRemoteNames(["carol": "b"])
        var router = router(remote: remote)
        #expect(decide(&router, "carol") == "publish to node b for carol")
        remote.set("carol", "c")
        registry.invalidateRoutes()
        #expect(decide(&router, "carol") == "publish to node c for carol")
        remote.set("carol", nil)
        registry.invalidateRoutes()
        #expect(decide(&router, "carol") == "unknown peer")
    }

    @Test func aLocalHolderWinsOverAStaleRemoteEntry() {
        _ = registry.register("carol", TestPeer("carol here"), principal: "p")
        var router = router(remote: TestRemoteNames(["carol": "b"]))
        #expect(decide(&router, "carol") == "deliver to carol here")
    }

    @Test func manyDestinationsOverflowTheCacheWithoutWrongAnswers() throws {
        var peers: [TestPeer] = []
        for index in 0..<(RouteCache<TestPeer>.capacity + 10) {
            let peer = TestPeer("worker-\(index)")
            peers.append(peer)
            _ = registry.register(try PeerName("worker-\(index)"), peer, principal: "p")
        }
        var router = router()
        for _ in 0..<2 {
            for peer in peers { #expect(decide(&router, peer.description) == "deliver to \(peer)") }
        }
    }
}
