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
        var names = PeerNameCache<PeerName>(capacity: Self.namesRemembered)
        for index in 0..<count {
            let length = try ClusterFrame.length(bytes, at: &offset, name: "delivery length")
            guard bytes.count - offset >= length else { throw .truncated("delivery") }
            deliveries.append(try Self.entry(bytes, offset..<offset + length, sequence: first + UInt64(index), names: &names))
            offset += length
        }
        guard offset == bytes.count else { throw .trailingBytes(bytes.count - offset) }
        self.deliveries = deliveries
    }

    /// How many distinct names a frame's decoding validates once each and then finds again: a
    /// frame carries a read batch's deliveries, most often from one sender to one receiver.
    static let namesRemembered = 64

    private static func entry(_ bytes: [UInt8], _ range: Range<Int>, sequence: UInt64, names: inout PeerNameCache<PeerName>) throws(ClusterFrameError) -> IncomingDelivery {
        guard range.count >= 1 + 8 else { throw .truncated(range.isEmpty ? "delivery flags" : "sender connection") }
        let flags = bytes[range.lowerBound]
        guard flags & ~ClusterFrame.confirmFlag == 0 else { throw .unknownFlags(flags) }
        var offset = range.lowerBound + 1
        let connection = try ClusterFrame.integer(bytes, at: &offset, name: "sender connection")
        let receiverBytes = try ClusterFrame.field(bytes, at: &offset, end: range.upperBound, name: "receiver")
        let body = offset..<range.upperBound
        let checked = bytes.withUnsafeBytes { frame -> Result<(UInt64, PeerName, PeerName), ClusterFrameError> in
            let receiver: PeerName
            do throws(PeerNameError) {
                receiver = try peerName(UnsafeRawBufferPointer(rebasing: frame[receiverBytes.indices]), in: &names)
            } catch {
                return .failure(.invalidReceiver(error))
            }
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
                return .success((message.correlationID, receiver, try peerName(message.peer, in: &names)))
            } catch {
                return .failure(.invalidEnvelope(.invalidName(.deliver, error)))
            }
        }
        let (correlationID, receiver, sender) = try checked.get()
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

    /// `bytes` as a peer name: validated and copied the first time the frame names it, found in
    /// `names` after that.
    private static func peerName(_ bytes: UnsafeRawBufferPointer, in names: inout PeerNameCache<PeerName>) throws(PeerNameError) -> PeerName {
        if let known = names.value(for: bytes) { return known }
        let name = try PeerName(validating: bytes)
        names.insert(name, for: bytes)
        return name
    }
}
