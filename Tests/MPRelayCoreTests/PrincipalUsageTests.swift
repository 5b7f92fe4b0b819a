import MPRelayCore
import Testing

@Suite struct PrincipalUsageTests {
    @Test func claimsStopAtTheLimitAndReleasesMakeRoom() {
        let usage = PrincipalUsage()
        #expect(usage.claim(.connections, for: "workers", limit: 2))
        #expect(usage.claim(.connections, for: "workers", limit: 2))
        #expect(!usage.claim(.connections, for: "workers", limit: 2))
        #expect(usage.held(.connections, by: "workers") == 2)
        usage.release(.connections, for: "workers")
        #expect(usage.claim(.connections, for: "workers", limit: 2))
    }

    @Test func principalsAndResourcesAreCountedApart() {
        let usage = PrincipalUsage()
        #expect(usage.claim(.names, for: "a", limit: 1))
        #expect(!usage.claim(.names, for: "a", limit: 1))
        #expect(usage.claim(.names, for: "b", limit: 1))
        #expect(usage.claim(.connections, for: "a", limit: 1))
        #expect(usage.held(.names, by: "a") == 1 && usage.held(.connections, by: "a") == 1)
    }

    @Test func noLimitMeansNoQuota() {
        let usage = PrincipalUsage()
        for _ in 0..<1000 { #expect(usage.claim(.names, for: "a", limit: nil)) }
        #expect(usage.held(.names, by: "a") == 1000)
    }

    @Test func releasingWhatIsNotHeldChangesNothing() {
        let usage = PrincipalUsage()
        usage.release(.names, for: "nobody")
        #expect(usage.held(.names, by: "nobody") == 0)
    }
}
