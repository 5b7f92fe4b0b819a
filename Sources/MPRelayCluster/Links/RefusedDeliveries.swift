public import MPRelayProtocol

/// A run of deliveries, numbered ``sequences`` among those from one node to another, that the
/// receiving node could not queue for their receiver: it answers them with ERROR ``code``
/// (`peer busy`, `unknown peer`) in its ``LinkAcknowledgement``, which is repeated, rather than
/// in an outcome frame a failing NATS server could lose.
///
/// Only deliveries without `confirm` are refused this way: a `confirm` one gets its ERROR in an
/// outcome frame, and its sender's node waits for that answer (or gives ERROR 14 without it).
public struct RefusedDeliveries: Equatable, Sendable {
    /// The deliveries' numbers.
    public var sequences: ClosedRange<UInt64>
    /// The ERROR each of their senders gets.
    public var code: RelayErrorCode

    /// Deliveries `sequences`, refused with `code`.
    public init(sequences: ClosedRange<UInt64>, code: RelayErrorCode) {
        self.sequences = sequences
        self.code = code
    }

    /// This run with `next` added, when `next` follows it with the same code; nil otherwise.
    public func extended(by next: RefusedDeliveries) -> RefusedDeliveries? {
        guard next.code == code, sequences.upperBound &+ 1 == next.sequences.lowerBound else { return nil }
        return RefusedDeliveries(sequences: sequences.lowerBound...next.sequences.upperBound, code: code)
    }
}

extension Array where Element == RefusedDeliveries {
    /// Adds delivery `sequence`, refused with `code`: to the last run when it follows it with
    /// the same code, as a run of its own otherwise. Numbers are added in ascending order.
    public mutating func append(_ sequence: UInt64, refusedWith code: RelayErrorCode) {
        let single = RefusedDeliveries(sequences: sequence...sequence, code: code)
        if let merged = last?.extended(by: single) {
            self[count - 1] = merged
        } else {
            append(single)
        }
    }
}
