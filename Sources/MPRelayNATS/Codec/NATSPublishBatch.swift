/// Publications encoded back to back, for ``NATSConnection/publish(_:)`` to send in one write:
/// a sender with many messages pays for one system call, not one per message.
public struct NATSPublishBatch: Sendable {
    /// The encoded `PUB` operations, in order.
    public private(set) var bytes: [UInt8] = []
    /// How many publications the batch holds.
    public private(set) var count = 0

    /// An empty batch.
    public init() {}

    /// Whether the batch holds nothing.
    public var isEmpty: Bool { count == 0 }

    /// Appends a `PUB` of `payload` to `subject`, with an optional reply subject.
    ///
    /// - Throws: ``NATSProtocolError`` for an invalid subject; the batch is unchanged then.
    public mutating func append(_ subject: String, replyTo: String? = nil, payload: [UInt8]) throws(NATSProtocolError) {
        let validated = try NATSSubject(subject)
        let reply = try replyTo.map { (reply) throws(NATSProtocolError) in try NATSSubject(reply) }
        try NATSEncoder.publish(validated, replyTo: reply, payload: payload, into: &bytes)
        count += 1
    }

    /// Appends a `PUB` whose subjects and payload the caller writes in place, for a hot path
    /// that would otherwise build strings per message: `subject` and `replyTo` must write valid
    /// subjects (tokens checked once, up front), `payload` exactly `payloadLength` bytes.
    public mutating func appendPublication(
        payloadLength: Int,
        subject: (inout [UInt8]) -> Void,
        replyTo: (inout [UInt8]) -> Void,
        payload: (inout [UInt8]) -> Void
    ) {
        bytes.append(contentsOf: Self.pub)
        subject(&bytes)
        bytes.append(0x20)
        replyTo(&bytes)
        bytes.append(0x20)
        NATSEncoder.appendDecimal(UInt64(payloadLength), to: &bytes)
        bytes.append(contentsOf: NATSEncoder.lineEnd)
        let start = bytes.count
        payload(&bytes)
        precondition(bytes.count - start == payloadLength, "a publication announced \(payloadLength) bytes and wrote \(bytes.count - start)")
        bytes.append(contentsOf: NATSEncoder.lineEnd)
        count += 1
    }

    /// Calls `body` with the encoded bytes, for a field written in place once the batch is
    /// complete (a number given out when the batch is sent); the length stays as it is.
    public mutating func withUnsafeMutableBytes<Result>(_ body: (UnsafeMutableRawBufferPointer) -> Result) -> Result {
        bytes.withUnsafeMutableBytes(body)
    }

    private static let pub = Array("PUB ".utf8)

    /// Empties the batch, keeping its buffer.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
    }
}
