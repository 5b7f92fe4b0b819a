import MPRelayCommon
import MPRelayProtocol

extension ClusterFrame {
    /// The frame's bytes, as published.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        switch self {
        case .deliveries(let deliveries):
            precondition(!deliveries.isEmpty, "a frame of deliveries holds at least one")
            let first = deliveries[0]
            bytes.append(Self.deliveriesKind)
            bytes.appendBigEndian(first.epoch)
            bytes.appendBigEndian(first.sequence)
            bytes.append(UInt8(first.senderNode.utf8.count))
            bytes.append(contentsOf: first.senderNode.utf8)
            bytes.appendBigEndian(UInt32(deliveries.count))
            for (index, delivery) in deliveries.enumerated() {
                precondition(delivery.senderNode == first.senderNode && delivery.epoch == first.epoch
                    && delivery.sequence == first.sequence + UInt64(index), "the deliveries of a frame are numbered one after another")
                let body = Envelope.deliver(delivery.message).encodedBody()
                bytes.appendBigEndian(UInt32(Self.entryHeaderLength(receiverLength: delivery.receiver.bytes.count) + body.count))
                bytes.append(delivery.confirm ? Self.confirmFlag : 0)
                bytes.appendBigEndian(delivery.senderConnection)
                bytes.append(UInt8(delivery.receiver.bytes.count))
                bytes.append(contentsOf: delivery.receiver.bytes)
                bytes.append(contentsOf: body)
            }
        case .outcome(let outcome):
            bytes.append(Self.outcomeKind)
            bytes.appendBigEndian(outcome.senderConnection)
            bytes.append(contentsOf: outcome.envelope.encodedBody())
        case .acknowledgement(let acknowledgement):
            bytes.append(Self.acknowledgementKind)
            bytes.appendBigEndian(acknowledgement.epoch)
            bytes.appendBigEndian(acknowledgement.through)
            bytes.append(UInt8(acknowledgement.receiverNode.utf8.count))
            bytes.append(contentsOf: acknowledgement.receiverNode.utf8)
            bytes.append(UInt8(acknowledgement.lost.count))
            for range in acknowledgement.lost {
                bytes.appendBigEndian(range.lowerBound)
                bytes.appendBigEndian(range.upperBound)
            }
            bytes.append(UInt8(acknowledgement.refused.count))
            for run in acknowledgement.refused {
                bytes.appendBigEndian(run.sequences.lowerBound)
                bytes.appendBigEndian(run.sequences.upperBound)
                bytes.appendBigEndian(run.code.rawValue)
            }
        }
        return bytes
    }

    /// Decodes a frame another node published.
    ///
    /// - Throws: ``ClusterFrameError`` naming the field at fault.
    public init(decoding bytes: [UInt8]) throws(ClusterFrameError) {
        guard let kind = bytes.first else { throw .empty }
        var offset = 1
        switch kind {
        case Self.deliveriesKind:
            let frame = try IncomingDeliveries(decoding: bytes)
            self = .deliveries(try frame.deliveries.map { (delivery) throws(ClusterFrameError) in
                let envelope = try Self.envelope(bytes[delivery.bodyRange])
                guard case .deliver(let message) = envelope else { throw .unexpectedEnvelope(envelope.kind) }
                return RemoteDelivery(
                    senderNode: frame.senderNode,
                    senderConnection: delivery.senderConnection,
                    receiver: delivery.receiver,
                    message: message,
                    confirm: delivery.confirm,
                    epoch: frame.epoch,
                    sequence: delivery.sequence
                )
            })
        case Self.outcomeKind:
            let connection = try Self.integer(bytes, at: &offset, name: "sender connection")
            let envelope = try Self.envelope(bytes[offset...])
            guard envelope.kind == .ack || envelope.kind == .error else { throw .unexpectedEnvelope(envelope.kind) }
            self = .outcome(DeliveryOutcome(senderConnection: connection, envelope: envelope))
        case Self.acknowledgementKind:
            self = .acknowledgement(try Self.acknowledgement(bytes, at: &offset))
        default:
            throw .unknownKind(kind)
        }
    }

    /// A big-endian u32, the field called `name`.
    static func length(_ bytes: [UInt8], at offset: inout Int, name: String) throws(ClusterFrameError) -> Int {
        guard bytes.count >= offset + 4 else { throw .truncated(name) }
        let value = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        offset += 4
        return value
    }

    /// A big-endian u64, the field called `name`.
    static func integer(_ bytes: [UInt8], at offset: inout Int, name: String) throws(ClusterFrameError) -> UInt64 {
        guard bytes.count >= offset + 8 else { throw .truncated(name) }
        let value = bytes[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        offset += 8
        return value
    }

    /// A node id field, the one called `name`.
    static func node(_ bytes: [UInt8], at offset: inout Int, name: String) throws(ClusterFrameError) -> String {
        let node = try field(bytes, at: &offset, name: name)
        guard let text = String(validating: node, as: UTF8.self), ClusterToken.isValid(text) else { throw .invalidNode(node) }
        return text
    }

    /// A field of a length byte and that many bytes, ending by `end` (the end of `bytes` if nil).
    static func field(_ bytes: [UInt8], at offset: inout Int, end: Int? = nil, name: String) throws(ClusterFrameError) -> ArraySlice<UInt8> {
        let end = end ?? bytes.count
        guard offset < end else { throw .truncated(name) }
        let length = Int(bytes[offset])
        guard end >= offset + 1 + length else { throw .truncated(name) }
        defer { offset += 1 + length }
        return bytes[offset + 1..<offset + 1 + length]
    }

    private static func acknowledgement(_ bytes: [UInt8], at offset: inout Int) throws(ClusterFrameError) -> LinkAcknowledgement {
        let epoch = try integer(bytes, at: &offset, name: "epoch")
        let through = try integer(bytes, at: &offset, name: "through")
        let node = try node(bytes, at: &offset, name: "receiving node")
        guard offset < bytes.count else { throw .truncated("lost count") }
        let count = Int(bytes[offset])
        offset += 1
        guard count <= LinkAcknowledgement.maxLostRanges else {
            throw .invalidLostRange("\(count) lost ranges, more than \(LinkAcknowledgement.maxLostRanges)")
        }
        var lost: [ClosedRange<UInt64>] = []
        for _ in 0..<count {
            let first = try integer(bytes, at: &offset, name: "lost range")
            let last = try integer(bytes, at: &offset, name: "lost range")
            guard first <= last, last <= through, first > (lost.last?.upperBound ?? 0) else {
                throw .invalidLostRange("\(first)...\(last) after \(lost.last.map { "\($0)" } ?? "none"), through \(through)")
            }
            lost.append(first...last)
        }
        let refused = try refusedRuns(bytes, at: &offset, through: through)
        guard offset == bytes.count else { throw .trailingBytes(bytes.count - offset) }
        return LinkAcknowledgement(receiverNode: node, epoch: epoch, through: through, lost: lost, refused: refused)
    }

    /// An acknowledgement's refused runs: ascending, apart, up to `through`, each with an
    /// ERROR code the protocol defines.
    private static func refusedRuns(_ bytes: [UInt8], at offset: inout Int, through: UInt64) throws(ClusterFrameError) -> [RefusedDeliveries] {
        guard offset < bytes.count else { throw .truncated("refused count") }
        let count = Int(bytes[offset])
        offset += 1
        var refused: [RefusedDeliveries] = []
        for _ in 0..<count {
            let first = try integer(bytes, at: &offset, name: "refused run")
            let last = try integer(bytes, at: &offset, name: "refused run")
            guard bytes.count >= offset + 2 else { throw .truncated("refused run's code") }
            let raw = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            offset += 2
            guard let code = RelayErrorCode(rawValue: raw) else { throw .invalidRefusedRun("unknown ERROR code \(raw)") }
            guard first <= last, last <= through, first > (refused.last?.sequences.upperBound ?? 0) else {
                throw .invalidRefusedRun("\(first)...\(last) after \(refused.last.map { "\($0.sequences)" } ?? "none"), through \(through)")
            }
            refused.append(RefusedDeliveries(sequences: first...last, code: code))
        }
        return refused
    }

    private static func envelope(_ body: ArraySlice<UInt8>) throws(ClusterFrameError) -> Envelope {
        do {
            return try Envelope(decoding: Array(body))
        } catch {
            throw .invalidEnvelope(error)
        }
    }
}
