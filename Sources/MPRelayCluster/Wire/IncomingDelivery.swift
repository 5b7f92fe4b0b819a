import MPRelayConfig
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
    /// The peer that receives the message, registered on this node.
    public let receiver: PeerName
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
        senderConnection = try ClusterFrame.connection(bytes, at: &offset)
        let node = try ClusterFrame.field(bytes, at: &offset, name: "sender node")
        guard let nodeText = String(validating: node, as: UTF8.self), ClusterConfig.isToken(nodeText) else {
            throw .invalidNode(node)
        }
        let receiverBytes = try ClusterFrame.field(bytes, at: &offset, name: "receiver")
        do { receiver = try PeerName(validating: receiverBytes) } catch { throw .invalidReceiver(error) }
        let checked = bytes.withUnsafeBytes { frame -> Result<UInt64, ClusterFrameError> in
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
                _ = try PeerName(validating: message.peer)
            } catch {
                return .failure(.invalidEnvelope(.invalidName(.deliver, error)))
            }
            return .success(message.correlationID)
        }
        correlationID = try checked.get()
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
