public import MPRelayProtocol

/// A delivery frame another node published to this one, checked and read in place: the
/// receiving node writes its DELIVER to the receiver straight from these bytes, one copy.
///
/// The same frame as ``ClusterFrame/delivery(_:)`` (layout in ``ClusterFrame``), without
/// building a ``RemoteDelivery``: no copy of the payload, no envelope.
public struct IncomingDelivery: Sendable {
    /// The whole frame, as published.
    public let bytes: [UInt8]
    /// Whether the SEND asked for `confirm`: answer with an ACK once queued.
    public let confirm: Bool
    /// The sender's connection on ``senderNode``, where the outcome goes.
    public let senderConnection: UInt64
    /// The node the sender is registered on.
    public let senderNode: String
    /// The sending node's incarnation, which ``sequence`` counts within.
    public let epoch: UInt64
    /// The delivery's number among those from ``senderNode`` to this node.
    public let sequence: UInt64
    /// The peer that receives the message, registered on this node.
    public let receiver: PeerName
    /// The sender's verified name, the DELIVER's peer.
    public let sender: PeerName
    /// The DELIVER's correlation id, for the outcome.
    public let correlationID: UInt64
    /// Where the DELIVER body starts in ``bytes``.
    private let bodyOffset: Int

    /// Checks `bytes` as a delivery frame: the same checks and errors as
    /// ``ClusterFrame/init(decoding:)``, the sender's name included.
    ///
    /// - Throws: ``ClusterFrameError`` naming the field at fault; ``ClusterFrameError/unknownKind(_:)``
    ///   for any frame that is not a delivery (an outcome included).
    public init(decoding bytes: [UInt8]) throws(ClusterFrameError) {
        guard let kind = bytes.first else { throw .empty }
        guard kind == ClusterFrame.deliveryKind || kind == ClusterFrame.confirmedDeliveryKind else { throw .unknownKind(kind) }
        var offset = 1
        senderConnection = try ClusterFrame.integer(bytes, at: &offset, name: "sender connection")
        epoch = try ClusterFrame.integer(bytes, at: &offset, name: "epoch")
        sequence = try ClusterFrame.integer(bytes, at: &offset, name: "sequence")
        let nodeText = try ClusterFrame.node(bytes, at: &offset, name: "sender node")
        let receiverBytes = try ClusterFrame.field(bytes, at: &offset, name: "receiver")
        do { receiver = try PeerName(validating: receiverBytes) } catch { throw .invalidReceiver(error) }
        let checked = bytes.withUnsafeBytes { frame -> Result<(UInt64, PeerName), ClusterFrameError> in
            let body = UnsafeRawBufferPointer(rebasing: frame[offset...])
            let message: MessageView
            do throws(EnvelopeError) {
                message = try MessageView(body)
            } catch {
                if let first = body.first, let kind = EnvelopeKind(rawValue: first), kind != .send, kind != .deliver {
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
        (correlationID, sender) = try checked.get()
        self.bytes = bytes
        senderNode = nodeText
        confirm = kind == ClusterFrame.confirmedDeliveryKind
        bodyOffset = offset
    }

    /// Calls `body` with the DELIVER read in place: its peer is the sender's verified name.
    public func withMessage<Result>(_ body: (MessageView) -> Result) -> Result {
        bytes.withUnsafeBytes { frame in
            // Checked at decoding: the body is a valid DELIVER.
            body(try! MessageView(UnsafeRawBufferPointer(rebasing: frame[bodyOffset...])))
        }
    }
}
