import MPRelayConfig
public import MPRelayProtocol

extension ClusterFrame {
    /// The frame's bytes, as published.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        switch self {
        case .delivery(let delivery):
            bytes.reserveCapacity(20 + delivery.senderNode.utf8.count + delivery.receiver.bytes.count
                + MessageView.fixedHeaderLength + delivery.message.peer.bytes.count + delivery.message.payload.count)
            bytes.append(delivery.confirm ? Self.confirmedDeliveryKind : Self.deliveryKind)
            bytes.appendBigEndian(delivery.senderConnection)
            bytes.appendBigEndian(delivery.epoch)
            bytes.appendBigEndian(delivery.sequence)
            bytes.append(UInt8(delivery.senderNode.utf8.count))
            bytes.append(contentsOf: delivery.senderNode.utf8)
            bytes.append(UInt8(delivery.receiver.bytes.count))
            bytes.append(contentsOf: delivery.receiver.bytes)
            bytes.append(contentsOf: Envelope.deliver(delivery.message).encodedBody())
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
        }
        return bytes
    }

    /// Decodes a frame another node published.
    ///
    /// - Throws: ``ClusterFrameError`` naming the field at fault.
    public init(decoding bytes: [UInt8]) throws(ClusterFrameError) {
        guard let kind = bytes.first else { throw .empty }
        guard [Self.deliveryKind, Self.confirmedDeliveryKind, Self.outcomeKind, Self.acknowledgementKind].contains(kind) else {
            throw .unknownKind(kind)
        }
        var offset = 1
        if kind == Self.acknowledgementKind {
            self = .acknowledgement(try Self.acknowledgement(bytes, at: &offset))
            return
        }
        let connection = try Self.integer(bytes, at: &offset, name: "sender connection")
        switch kind {
        case Self.deliveryKind, Self.confirmedDeliveryKind:
            let epoch = try Self.integer(bytes, at: &offset, name: "epoch")
            let sequence = try Self.integer(bytes, at: &offset, name: "sequence")
            let nodeText = try Self.node(bytes, at: &offset, name: "sender node")
            let receiverBytes = try Self.field(bytes, at: &offset, name: "receiver")
            let receiver: PeerName
            do { receiver = try PeerName(validating: receiverBytes) } catch { throw .invalidReceiver(error) }
            let envelope = try Self.envelope(bytes[offset...])
            guard case .deliver(let message) = envelope else { throw .unexpectedEnvelope(envelope.kind) }
            self = .delivery(RemoteDelivery(
                senderNode: nodeText,
                senderConnection: connection,
                receiver: receiver,
                message: message,
                confirm: kind == Self.confirmedDeliveryKind,
                epoch: epoch,
                sequence: sequence
            ))
        case Self.outcomeKind:
            let envelope = try Self.envelope(bytes[offset...])
            guard envelope.kind == .ack || envelope.kind == .error else { throw .unexpectedEnvelope(envelope.kind) }
            self = .outcome(DeliveryOutcome(senderConnection: connection, envelope: envelope))
        default:
            throw .unknownKind(kind)
        }
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
        guard let text = String(validating: node, as: UTF8.self), ClusterConfig.isToken(text) else { throw .invalidNode(node) }
        return text
    }

    private static func acknowledgement(_ bytes: [UInt8], at offset: inout Int) throws(ClusterFrameError) -> LinkAcknowledgement {
        let epoch = try integer(bytes, at: &offset, name: "epoch")
        let through = try integer(bytes, at: &offset, name: "through")
        let node = try node(bytes, at: &offset, name: "receiving node")
        guard offset < bytes.count else { throw .truncated("lost count") }
        let count = Int(bytes[offset])
        offset += 1
        guard count <= LinkAcknowledgement.maxLostRanges else { throw .invalidLostRange("\(count) lost ranges, more than \(LinkAcknowledgement.maxLostRanges)") }
        var lost: [ClosedRange<UInt64>] = []
        for _ in 0..<count {
            let first = try integer(bytes, at: &offset, name: "lost range")
            let last = try integer(bytes, at: &offset, name: "lost range")
            guard first <= last, last <= through, first > (lost.last?.upperBound ?? 0) else {
                throw .invalidLostRange("\(first)...\(last) after \(lost.last.map { "\($0)" } ?? "none"), through \(through)")
            }
            lost.append(first...last)
        }
        guard offset == bytes.count else { throw .trailingBytes(bytes.count - offset) }
        return LinkAcknowledgement(receiverNode: node, epoch: epoch, through: through, lost: lost)
    }

    /// A field of a length byte and that many bytes.
    static func field(_ bytes: [UInt8], at offset: inout Int, name: String) throws(ClusterFrameError) -> ArraySlice<UInt8> {
        guard offset < bytes.count else { throw .truncated(name) }
        let length = Int(bytes[offset])
        guard bytes.count >= offset + 1 + length else { throw .truncated(name) }
        defer { offset += 1 + length }
        return bytes[offset + 1..<offset + 1 + length]
    }

    private static func envelope(_ body: ArraySlice<UInt8>) throws(ClusterFrameError) -> Envelope {
        do {
            return try Envelope(decoding: Array(body))
        } catch {
            throw .invalidEnvelope(error)
        }
    }
}

/// Why bytes published to a node's subject are not a ``ClusterFrame``.
public enum ClusterFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No bytes at all.
    case empty
    /// The first byte names no frame kind.
    case unknownKind(UInt8)
    /// The frame ends inside the named field.
    case truncated(String)
    /// The sender node is not a node id.
    case invalidNode(ArraySlice<UInt8>)
    /// The receiver is not a peer name.
    case invalidReceiver(PeerNameError)
    /// The embedded envelope does not decode.
    case invalidEnvelope(EnvelopeError)
    /// The embedded envelope is of a kind this frame cannot carry.
    case unexpectedEnvelope(EnvelopeKind)
    /// An acknowledgement's lost ranges are out of order, overlap, or pass its `through`.
    case invalidLostRange(String)
    /// Bytes follow the end of an acknowledgement.
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .empty: return "an empty cluster frame"
        case .unknownKind(let kind): return "unknown cluster frame kind 0x\(String(kind, radix: 16))"
        case .truncated(let field): return "the cluster frame ends inside its \(field)"
        case .invalidNode(let bytes): return "\"\(String(decoding: bytes, as: UTF8.self))\" is not a node id"
        case .invalidReceiver(let error): return "the cluster frame's receiver: \(error)"
        case .invalidEnvelope(let error): return "the cluster frame's envelope: \(error)"
        case .unexpectedEnvelope(let kind): return "a cluster frame cannot carry \(kind) here"
        case .invalidLostRange(let detail): return "an acknowledgement's lost range is invalid: \(detail)"
        case .trailingBytes(let count): return "\(count) byte(s) after the end of an acknowledgement"
        }
    }
}
