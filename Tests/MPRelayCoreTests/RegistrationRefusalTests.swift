import MPRelayCore
import MPRelayProtocol
import Testing

@Suite struct RegistrationRefusalTests {
    @Test func eachRefusalHasItsErrorCodeAndATextNamingTheCause() {
        let cases: [(RegistrationRefusal, RelayErrorCode, String)] = [
            (.unsupportedVersion(9), .unsupportedVersion, "protocol version 9 is not supported; this broker speaks \(Envelope.protocolVersion)"),
            (.forbidden(rule: "may_register [\"w-*\"]"), .notPermitted, "may not register \"alice\""),
            (.tooManyNames(principal: "workers", limit: 3), .notPermitted, "principal workers already has max_names (3) names registered"),
            (.nameTaken, .nameTaken, "the name \"alice\" is already registered"),
            (.heldOnNode("b"), .nameTaken, "the name \"alice\" is already registered, on node b"),
            (.clusterUnavailable(reason: "NATS timed out"), .clusterUnavailable, "the name \"alice\" could not be claimed across the cluster: NATS timed out"),
        ]
        for (refusal, code, text) in cases {
            #expect(refusal.code == code)
            #expect(refusal.text(for: "alice") == text)
        }
    }

    @Test func theLargestFrameBodyIsTheLargestPayloadAndTheLargestHeader() {
        let limits = RelayLimits(
            maxMessageBytes: 1000, maxOutboundBytes: 65_536, maxOutboundMessages: 16,
            slowConsumerTimeout: 1, handshakeTimeout: 1, idleTimeout: 0, drainTimeout: 1,
            maxConnections: 10, maxHandshakes: 10,
            authFailureLimit: 5, authFailureWindow: 60, authFailurePenalty: 60
        )
        #expect(limits.maxFrameBodyLength == 1000 + Envelope.maxHeaderLength)
    }
}
