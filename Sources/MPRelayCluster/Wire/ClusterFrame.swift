/// What one mprelayd node publishes to another over core NATS, on the receiving node's subject
/// (``ClusterSubjects/node(_:)``).
///
/// A frame is a small binary header and then, for deliveries, envelopes of docs/PROTOCOL.md byte
/// for byte as the receiving node writes them to its clients: DELIVERs already stamped with the
/// sender's verified name. The layout (big-endian integers):
///
/// ```
/// deliveries:      0x01 | epoch u64 | first sequence u64 | node length u8 | sender node | count u32
///                  | count x (entry length u32 | entry)
///   entry:         flags u8 (bit 0: confirm) | sender connection u64
///                  | receiver length u8 | receiver | DELIVER body
/// outcome:         0x02 | sender connection u64 | ERROR or ACK body
/// acknowledgement: 0x04 | epoch u64 | through u64 | node length u8 | receiving node
///                  | lost count u8 | lost count x (first u64 | last u64)
/// ```
///
/// One frame carries every delivery a sender's read batch has for one node (up to a bound), so
/// NATS handles one message where a sender wrote many. A delivery whose SEND asked for
/// `confirm` has bit 0 of its flags set: the receiving node answers it with an ACK once queued.
/// The DELIVER itself carries only the options its receiver sees. Deliveries are numbered per
/// receiving node within their sending node's run (`epoch`, its incarnation): a frame's carry
/// `first sequence`, `first sequence + 1`, ...; acknowledgements answer those numbers
/// (``LinkAcknowledgement``).
///
/// One publishing connection per node keeps every sender/receiver pair in order.
public enum ClusterFrame: Equatable, Sendable {
    /// Messages for peers registered on the receiving node, from one sending node, numbered
    /// one after another: at least one, all with the same ``RemoteDelivery/senderNode`` and
    /// ``RemoteDelivery/epoch``, sequences consecutive.
    case deliveries([RemoteDelivery])
    /// The verdict on a delivery, for the connection that sent it.
    case outcome(DeliveryOutcome)
    /// Which of the sending node's numbered deliveries arrived and which were lost.
    case acknowledgement(LinkAcknowledgement)

    /// The first byte of a frame of deliveries.
    static let deliveriesKind: UInt8 = 0x01
    /// Whether `bytes` start like a frame of deliveries (not checked further).
    static func isDeliveries(_ bytes: [UInt8]) -> Bool {
        bytes.first == deliveriesKind
    }

    /// The first byte of an outcome.
    static let outcomeKind: UInt8 = 0x02
    /// The first byte of an acknowledgement.
    static let acknowledgementKind: UInt8 = 0x04
    /// The flag of an entry whose SEND asked for `confirm`.
    static let confirmFlag: UInt8 = 0x01
    /// The bytes of a deliveries frame before its first entry, with a sender node of
    /// `nodeLength` bytes.
    static func deliveriesHeaderLength(nodeLength: Int) -> Int { 1 + 8 + 8 + 1 + nodeLength + 4 }
    /// The bytes of an entry before its DELIVER body, with a receiver of `receiverLength` bytes.
    static func entryHeaderLength(receiverLength: Int) -> Int { 1 + 8 + 1 + receiverLength }
}
