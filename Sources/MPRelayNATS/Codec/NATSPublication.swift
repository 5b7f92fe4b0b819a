/// One `PUB` built payload first: the payload is written in place, and the control line (with
/// whatever must lead the payload) is written in front of it when it is sealed, into room kept
/// for it. For a payload whose header is known only when it is sent (numbers given out then),
/// without copying the payload to put the header before it.
///
/// A publisher that sends one after another reuses one allocation
/// (``init(reusing:headroom:)``).
public struct NATSPublication: Sendable {
    private var buffer: [UInt8] = []
    /// Bytes kept in front of the payload for the control line and the payload's own header.
    public let headroom: Int
    /// Where the sealed publication starts in ``buffer``; nil until sealed.
    private var start: Int?

    /// An empty publication keeping `headroom` bytes for what ``seal(subject:replyTo:payloadHeader:)``
    /// writes in front of the payload.
    public init(headroom: Int) {
        self.headroom = headroom
        buffer.append(contentsOf: repeatElement(0, count: headroom))
    }

    /// The payload bytes written so far.
    public var payloadCount: Int { buffer.count - headroom - (start == nil ? 0 : 2) }

    /// Appends to the payload; not after ``seal(subject:replyTo:payloadHeader:)``.
    public mutating func appendPayload(_ write: (inout [UInt8]) -> Void) {
        precondition(start == nil, "a sealed publication takes no more payload")
        write(&buffer)
    }

    /// Writes `PUB <subject> <replyTo> <size>\r\n` and then `payloadHeader` in front of the
    /// payload, and the closing `\r\n` after it. `subject` and `replyTo` must be valid subjects
    /// (checked by the caller, as ``NATSPublishBatch/appendPublication(payloadLength:subject:replyTo:payload:)``
    /// expects); the control line and header must fit in ``headroom``.
    public mutating func seal(subject: [UInt8], replyTo: [UInt8], payloadHeader: [UInt8]) {
        precondition(start == nil, "a publication is sealed once")
        var line = Self.pub
        line.reserveCapacity(subject.count + replyTo.count + 32)
        line.append(contentsOf: subject)
        line.append(0x20)
        line.append(contentsOf: replyTo)
        line.append(0x20)
        NATSEncoder.appendDecimal(UInt64(payloadHeader.count + buffer.count - headroom), to: &line)
        line.append(contentsOf: NATSEncoder.lineEnd)
        let first = headroom - payloadHeader.count - line.count
        precondition(first >= 0, "the control line and payload header (\(line.count + payloadHeader.count) bytes) pass the headroom (\(headroom))")
        buffer.replaceSubrange(first..<first + line.count, with: line)
        buffer.replaceSubrange(headroom - payloadHeader.count..<headroom, with: payloadHeader)
        buffer.append(contentsOf: NATSEncoder.lineEnd)
        start = first
    }

    /// The sealed publication's bytes, as sent.
    public var bytes: ArraySlice<UInt8> {
        guard let start else { preconditionFailure("a publication is sent once sealed") }
        return buffer[start...]
    }

    /// `publication`'s buffer, emptied, as a new publication keeping `headroom` bytes.
    public init(reusing publication: consuming NATSPublication, headroom: Int) {
        self.headroom = headroom
        buffer = publication.buffer
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: headroom))
    }

    private static let pub = Array("PUB ".utf8)
}
