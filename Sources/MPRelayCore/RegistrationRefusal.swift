public import MPRelayProtocol

/// Why a HELLO did not register its name: the ERROR to send before closing.
public enum RegistrationRefusal: Equatable, Sendable {
    /// The client speaks a protocol version this relay does not.
    case unsupportedVersion(UInt8)
    /// The principal's `may_register` does not match the name; `rule` is the rule to cite.
    case forbidden(rule: String)
    /// The principal already holds `max_names` names.
    case tooManyNames(principal: String, limit: Int)
    /// Someone holds the name and the principal does not replace holders.
    case nameTaken
    /// In a cluster: a peer on another node holds the name, and the principal does not replace
    /// holders (or lost a race for it).
    case heldOnNode(String)
    /// In a cluster: the name could not be claimed, because the cluster's NATS servers did not
    /// answer; `reason` says what failed.
    case clusterUnavailable(reason: String)

    /// The ERROR code the client gets.
    public var code: RelayErrorCode {
        switch self {
        case .unsupportedVersion: .unsupportedVersion
        case .forbidden, .tooManyNames: .notPermitted
        case .nameTaken, .heldOnNode: .nameTaken
        case .clusterUnavailable: .clusterUnavailable
        }
    }

    /// The ERROR text for a HELLO of `name`.
    public func text(for name: PeerName) -> String {
        switch self {
        case .unsupportedVersion(let version):
            "protocol version \(version) is not supported; this broker speaks \(Envelope.protocolVersion)"
        case .forbidden:
            "may not register \"\(name)\""
        case .tooManyNames(let principal, let limit):
            "principal \(principal) already has max_names (\(limit)) names registered"
        case .nameTaken:
            "the name \"\(name)\" is already registered"
        case .heldOnNode(let node):
            "the name \"\(name)\" is already registered, on node \(node)"
        case .clusterUnavailable(let reason):
            "the name \"\(name)\" could not be claimed across the cluster: \(reason)"
        }
    }
}
