import MPRelayProtocol

/// A frame of deliveries another node published to this one (``ClusterFrame/deliveries(_:)``,
/// layout in ``ClusterFrame``), checked whole and read in place: no copy of any payload, no
/// envelope built.
public struct IncomingDeliveries: Sendable {
    /// The node the senders are registered on, where outcomes go.
    public let senderNode: String
    /// The sending node's incarnation, which the sequence numbers count within.
    public let epoch: UInt64
    /// The frame's deliveries, in order; their sequences run from the frame's first on.
    public let deliveries: [IncomingDelivery]

    /// The first delivery's number.
    public var firstSequence: UInt64 { deliveries[0].sequence }
    /// The last delivery's number.
    public var lastSequence: UInt64 { deliveries[deliveries.count - 1].sequence }

    /// Checks `bytes` as a frame of deliveries: the same checks and errors as
    /// ``ClusterFrame/init(decoding:)``, the senders' names included. One bad entry refuses
    /// the whole frame.
    ///
    /// - Throws: ``ClusterFrameError`` naming the field at fault; ``ClusterFrameError/unknownKind(_:)``
    ///   for a frame of another kind.
    public init(decoding bytes: [UInt8]) throws(ClusterFrameError) {
        guard let kind = bytes.first else { throw .empty }
        guard kind == ClusterFrame.deliveriesKind else { throw .unknownKind(kind) }
        var offset = 1
        epoch = try ClusterFrame.integer(bytes, at: &offset, name: "epoch")
        let first = try ClusterFrame.integer(bytes, at: &offset, name: "first sequence")
        senderNode = try ClusterFrame.node(bytes, at: &offset, name: "sender node")
        let count = try ClusterFrame.length(bytes, at: &offset, name: "count")
        guard count > 0 else { throw .noDeliveries }
        guard first.addingReportingOverflow(UInt64(count - 1)).overflow == false else { throw .sequenceOverflow }
        // Each entry takes at least its length and header: a count the bytes cannot hold is
        // refused before anything is reserved for it.
        guard count <= (bytes.count - offset) / (4 + ClusterFrame.entryHeaderLength(receiverLength: 1)) else { throw .truncated("delivery") }
        var deliveries: [IncomingDelivery] = []
        deliveries.reserveCapacity(count)
        for index in 0..<count {
            let length = try ClusterFrame.length(bytes, at: &offset, name: "delivery length")
            guard bytes.count - offset >= length else { throw .truncated("delivery") }
            deliveries.append(try Self.entry(bytes, offset..<offset + length, sequence: first + UInt64(index)))
            offset += length
        }
        guard offset == bytes.count else { throw .trailingBytes(bytes.count - offset) }
        self.deliveries = deliveries
    }

    private static func entry(_ bytes: [UInt8], _ range: Range<Int>, sequence: UInt64) throws(ClusterFrameError) -> IncomingDelivery {
        guard range.count >= 1 + 8 else { throw .truncated(range.isEmpty ? "delivery flags" : "sender connection") }
        let flags = bytes[range.lowerBound]
        guard flags & ~ClusterFrame.confirmFlag == 0 else { throw .unknownFlags(flags) }
        var offset = range.lowerBound + 1
        let connection = try ClusterFrame.integer(bytes, at: &offset, name: "sender connection")
        let receiverBytes = try ClusterFrame.field(bytes, at: &offset, end: range.upperBound, name: "receiver")
        let receiver: PeerName
        do { receiver = try PeerName(validating: receiverBytes) } catch { throw .invalidReceiver(error) }
        let body = offset..<range.upperBound
        let checked = bytes.withUnsafeBytes { frame -> Result<(UInt64, PeerName), ClusterFrameError> in
            let message: MessageView
            do throws(EnvelopeError) {
                message = try MessageView(UnsafeRawBufferPointer(rebasing: frame[body]))
            } catch {
                if let first = frame[body].first, let kind = EnvelopeKind(rawValue: first), kind != .send, kind != .deliver {
                    return .failure(.unexpectedEnvelope(kind))
                }
                return .failure(.invalidEnvelope(error))
            }
            guard message.kind == .deliver else { return .failure(.unexpectedEnvelope(message.kind)) }
            do throws(PeerNameError) {
                return .success((message.correlationID, try PeerName(validating: message.peer)))
            } catch {
                return .failure(.invalidEnvelope(.invalidName(.deliver, error)))
            }
        }
        let (correlationID, sender) = try checked.get()
        return IncomingDelivery(
            frame: bytes,
            bodyRange: body,
            confirm: flags & ClusterFrame.confirmFlag != 0,
            senderConnection: connection,
            sequence: sequence,
            receiver: receiver,
            sender: sender,
            correlationID: correlationID
        )
    }
}
