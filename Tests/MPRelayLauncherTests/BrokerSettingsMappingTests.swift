import MPRelayBroker
import MPRelayCluster
import MPRelayCommon
import MPRelayConfig
import MPRelayCore
import MPRelayLauncher
import MPRelayNATS
import MPRelayProtocol
import MPRelayTLS
import Testing

/// How a configuration file becomes the broker's settings: every `[broker]` limit, every
/// principal's rules and keys, each endpoint's handshake policy and TLS files, and the
/// `[cluster]` table, read from TOML as mprelayd reads it.
@Suite("Broker settings from a configuration")
struct BrokerSettingsMappingTests {
    private func settings(_ text: String) throws -> BrokerSettings {
        var loader = ConfigLoader(environment: [:])
        loader.hostName = "relay-1"
        return BrokerSettings(try loader.parse(text, file: "test.toml"))
    }

    @Test func everyBrokerLimitReachesTheCore() throws {
        let limits = try settings("""
            [broker]
            max_message_bytes = 1000
            max_outbound_bytes = 2000000
            max_outbound_messages = 3000
            slow_consumer_timeout = 4
            handshake_timeout = 5
            idle_timeout = 6
            drain_timeout = 7
            max_connections = 8000
            max_handshakes = 900
            auth_failure_limit = 11
            auth_failure_window = 12
            auth_failure_penalty = 13

            [[endpoint]]
            address = "127.0.0.1:0"
            authkey = "k"
            """).limits
        #expect(limits == RelayLimits(
            maxMessageBytes: 1000,
            maxOutboundBytes: 2_000_000,
            maxOutboundMessages: 3000,
            slowConsumerTimeout: 4,
            handshakeTimeout: 5,
            idleTimeout: 6,
            drainTimeout: 7,
            maxConnections: 8000,
            maxHandshakes: 900,
            authFailureLimit: 11,
            authFailureWindow: 12,
            authFailurePenalty: 13
        ))
    }

    @Test func principalsBecomeTheCoresRulesWithTheirKeys() throws {
        let endpoint = try #require(try settings("""
            [broker]
            allow_legacy_md5 = false

            [[principal]]
            name = "feeders"
            on_name_conflict = "replace"
            max_names = 7
            max_connections = 9
            may_list = true
            may_send_to = ["hub"]
            may_register = ["feed-*"]
            authkey = ["current", "next"]

            [[principal]]
            name = "hub"
            authkey = "hub-key"
            may_register = ["hub"]

            [[endpoint]]
            address = "127.0.0.1:6000"
            principals = ["feeders", "hub"]
            min_digest = "sha256"
            """).endpoints.first)
        #expect(endpoint.address == .inet(host: "127.0.0.1", port: 6000))
        #expect(endpoint.policy == HandshakePolicy(allowLegacyMD5: false, minimumDigest: .sha256))
        #expect(endpoint.tls == nil)
        let feeders = endpoint.principals[0]
        #expect(feeders.rules == PrincipalRules(
            name: "feeders",
            access: AccessRules(mayRegister: ["feed-*"], maySendTo: ["hub"], mayList: true),
            maxConnections: 9,
            maxNames: 7,
            onNameConflict: .replace
        ))
        #expect(feeders.keys == [Array("current".utf8), Array("next".utf8)])
        #expect(!feeders.isImplicit)
        let hub = endpoint.principals[1]
        #expect(hub.rules.onNameConflict == .refuse)
        #expect(hub.rules.maxConnections == nil)
        #expect(hub.keys == [Array("hub-key".utf8)])
    }

    @Test func aBareAuthkeyIsAnImplicitPrincipalThatMayDoEverything() throws {
        let endpoint = try #require(try settings("""
            [[endpoint]]
            address = "/run/mprelay/relay.sock"
            authkey = "k"
            mode = 0o600
            """).endpoints.first)
        #expect(endpoint.mode == 0o600)
        #expect(endpoint.policy == HandshakePolicy(allowLegacyMD5: true, minimumDigest: nil))
        let principal = try #require(endpoint.principals.first)
        #expect(principal.isImplicit)
        #expect(principal.rules.access == AccessRules(mayRegister: ["*"], maySendTo: ["*"], mayList: true))
    }

    @Test func theClusterTableBecomesTheNodesSettings() throws {
        let cluster = try #require(try settings("""
            [cluster]
            name = "prod-eu"
            nats = ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"]
            name_lease = 3
            nats_timeout = 0.5
            max_pending_bytes = 65536

            [[endpoint]]
            address = "127.0.0.1:0"
            authkey = "k"
            """).cluster)
        #expect(cluster.node == "relay-1")
        #expect(cluster.name == "prod-eu")
        #expect(cluster.bucket == "mprelay_prod-eu")
        #expect(cluster.servers.map(\.description) == ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"])
        #expect(cluster.credentials == .none)
        #expect(cluster.tls == nil)
        #expect(cluster.nameLease == 3)
        #expect(cluster.natsTimeout == 0.5)
        #expect(cluster.maxPendingBytes == 65_536)
    }

    @Test func aSingleNodeHasNoClusterSettings() throws {
        #expect(try settings("[[endpoint]]\naddress = \"127.0.0.1:0\"\nauthkey = \"k\"\n").cluster == nil)
    }
}
