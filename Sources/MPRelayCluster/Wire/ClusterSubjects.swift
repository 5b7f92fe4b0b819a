import MPRelayConfig
import MPRelayProtocol

/// The NATS subjects of one mprelay cluster: every one starts with `mprelay.<cluster>.`, so
/// that clusters sharing a NATS system never see each other's traffic.
public struct ClusterSubjects: Hashable, Sendable {
    /// The cluster's name (`[cluster] name`), a subject token.
    public let cluster: String

    /// The subjects of `cluster`.
    public init(cluster: String) {
        self.cluster = cluster
    }

    /// `mprelay.<cluster>.node.`, the start of every node's subject.
    var nodePrefix: [UInt8] { Array("mprelay.\(cluster).node.".utf8) }

    /// `mprelay.<cluster>.unreachable.`, the start of every ``unreachable(_:)`` subject.
    var unreachablePrefix: [UInt8] { Array("mprelay.\(cluster).unreachable.".utf8) }

    /// Where frames for the peers of `node` are published (``ClusterFrame``): one subject per
    /// node, which that node alone subscribes to.
    public func node(_ node: String) -> String {
        "mprelay.\(cluster).node.\(node)"
    }

    /// What `node` subscribes to for the deliveries of its own that reached no node: every
    /// ``unreachable(_:)`` subject of its.
    public func unreachableReplies(of node: String) -> String {
        "mprelay.\(cluster).unreachable.\(node).>"
    }

    /// The reply subject a delivery is published with: when no node subscribes to the subject
    /// it was published to (its node stopped), NATS answers there with status 503, and the
    /// subject says which SEND it was, for the ERROR its sender gets.
    /// The delivery's sequence number is 16 hexadecimal digits, so that it can be written once
    /// the batch is numbered (``ClusterPublishBatch``).
    public func unreachable(_ delivery: UndeliveredSend) -> String {
        var sequence: [UInt8] = []
        Self.appendSequence(delivery.sequence, to: &sequence)
        return "mprelay.\(cluster).unreachable.\(delivery.senderNode).\(delivery.receiverNode).\(delivery.senderConnection)"
            + ".\(delivery.correlationID).\(String(decoding: sequence, as: UTF8.self)).\(ClusterKey.escape(delivery.receiver.bytes))"
    }

    /// Digits of a sequence number in an ``unreachable(_:)`` subject.
    static let sequenceDigits = 16

    /// Appends `sequence` as ``sequenceDigits`` lowercase hexadecimal digits.
    static func appendSequence(_ sequence: UInt64, to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: sequenceDigits))
        buffer.withUnsafeMutableBytes { writeSequence(sequence, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Writes `sequence` as ``sequenceDigits`` hexadecimal digits at the start of `digits`.
    static func writeSequence(_ sequence: UInt64, into digits: UnsafeMutableRawBufferPointer) {
        for index in 0..<sequenceDigits {
            let digit = UInt8(truncatingIfNeeded: sequence >> UInt64(4 * (sequenceDigits - 1 - index))) & 0xF
            digits[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
        }
    }

    /// The SEND an ``unreachable(_:)`` subject names, or nil for any other subject.
    public func undeliveredSend(_ subject: String) -> UndeliveredSend? {
        let prefix = "mprelay.\(cluster).unreachable."
        guard subject.hasPrefix(prefix) else { return nil }
        let tokens = subject.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard tokens.count == 6, ClusterConfig.isToken(String(tokens[0])), ClusterConfig.isToken(String(tokens[1])),
            let connection = UInt64(tokens[2]), let correlationID = UInt64(tokens[3]),
            tokens[4].utf8.count == Self.sequenceDigits, let sequence = UInt64(tokens[4], radix: 16),
            let bytes = ClusterKey.unescape(Array(tokens[5].utf8)), let receiver = try? PeerName(validating: bytes)
        else { return nil }
        return UndeliveredSend(
            senderNode: String(tokens[0]),
            receiverNode: String(tokens[1]),
            senderConnection: connection,
            correlationID: correlationID,
            receiver: receiver,
            sequence: sequence
        )
    }
}
