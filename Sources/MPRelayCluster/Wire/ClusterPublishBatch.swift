public import MPRelayNATS
public import MPRelayProtocol

/// The deliveries a sender's read batch has for other nodes, gathered into one frame per node
/// (``ClusterFrame/deliveries(_:)``, a new one past ``maxFrameBytes``) and published in one write
/// (``ClusterNode/publish(_:)``): NATS handles one message where the sender wrote many.
///
/// Deliveries are numbered when the batch is published, in the order NATS gets them
/// (``OutboundLedger/record(_:now:)``); the frames are encoded then.
public struct ClusterPublishBatch: Sendable {
    private struct Frame: Sendable {
        /// The receiving node.
        var node: String
        /// The encoded entries (layout in ``ClusterFrame``), back to back.
        var entries: [UInt8] = []
        /// Where the frame's deliveries are in ``ClusterPublishBatch/sends``.
        var sends: [Int] = []
        /// The first delivery's number, once numbered.
        var firstSequence: UInt64 = 0
    }

    private let subjects: ClusterSubjects
    /// The sending node and its incarnation, written in every frame.
    private let senderNode: String
    private let epoch: UInt64
    /// The most entry bytes one frame holds before another is started for its node.
    public let maxFrameBytes: Int
    /// The largest NATS message the server takes (`max_payload`).
    public let maxPayload: Int
    private var frames: [Frame] = []
    /// The frame each node's next delivery goes in.
    private var openFrames: [String: Int] = [:]
    /// Each delivery, as its sender's ERROR would need it, in the order appended.
    public private(set) var sends: [UndeliveredSend] = []

    /// An empty batch from node `senderNode` (run `epoch`) for the cluster of `subjects`.
    public init(subjects: ClusterSubjects, senderNode: String, epoch: UInt64, maxFrameBytes: Int = 64 * 1024, maxPayload: Int = 1024 * 1024) {
        self.subjects = subjects
        self.senderNode = senderNode
        self.epoch = epoch
        self.maxFrameBytes = maxFrameBytes
        self.maxPayload = maxPayload
    }

    /// How many deliveries the batch holds.
    public var count: Int { sends.count }

    /// How many frames (NATS messages) the batch holds.
    public var frameCount: Int { frames.count }

    /// Whether the batch holds nothing.
    public var isEmpty: Bool { sends.isEmpty }

    /// The bytes of a frame for `node` holding one delivery of `message` from `senderName` to
    /// `receiver`.
    private func frameLength(_ message: MessageView, from senderName: UnsafeRawBufferPointer, to receiver: PeerName) -> Int {
        ClusterFrame.deliveriesHeaderLength(nodeLength: senderNode.utf8.count) + 4 + entryLength(message, from: senderName, to: receiver)
    }

    private func entryLength(_ message: MessageView, from senderName: UnsafeRawBufferPointer, to receiver: PeerName) -> Int {
        ClusterFrame.entryHeaderLength(receiverLength: receiver.bytes.count) + MessageView.fixedHeaderLength + senderName.count + message.payload.count
    }

    /// Whether a delivery of `message` from `senderName` to `receiver` fits in one NATS message.
    public func fits(_ message: MessageView, from senderName: UnsafeRawBufferPointer, to receiver: PeerName) -> Bool {
        frameLength(message, from: senderName, to: receiver) <= maxPayload
    }

    /// Appends the delivery of a SEND read in place (`message`, for `receiver` on
    /// `receiverNode`) from `senderName`, connection `senderConnection`: a DELIVER stamped with
    /// the sender's name, written without building an envelope (the relay path's per-message
    /// cost). The caller checked that it ``fits(_:from:to:)``.
    public mutating func appendDelivery(
        _ message: MessageView,
        from senderName: UnsafeRawBufferPointer,
        senderConnection: UInt64,
        to receiver: PeerName,
        on receiverNode: String
    ) {
        let length = entryLength(message, from: senderName, to: receiver)
        var index = openFrames[receiverNode] ?? -1
        if index < 0 || (frames[index].entries.count + 4 + length > maxFrameBytes && !frames[index].sends.isEmpty)
            || ClusterFrame.deliveriesHeaderLength(nodeLength: senderNode.utf8.count) + frames[index].entries.count + 4 + length > maxPayload {
            index = frames.count
            frames.append(Frame(node: receiverNode))
            openFrames[receiverNode] = index
        }
        frames[index].sends.append(sends.count)
        let confirm = message.options.contains(.confirm)
        sends.append(UndeliveredSend(
            senderNode: senderNode,
            receiverNode: receiverNode,
            senderConnection: senderConnection,
            correlationID: message.correlationID,
            receiver: receiver,
            confirm: confirm
        ))
        frames[index].entries.appendBigEndian(UInt32(length))
        frames[index].entries.append(confirm ? ClusterFrame.confirmFlag : 0)
        frames[index].entries.appendBigEndian(senderConnection)
        frames[index].entries.append(UInt8(receiver.bytes.count))
        frames[index].entries.append(contentsOf: receiver.bytes)
        MessageView.appendBody(
            kind: .deliver,
            options: message.options.intersection(.forwarded),
            flags: message.flags,
            correlationID: message.correlationID,
            peer: senderName,
            payload: message.payload,
            to: &frames[index].entries
        )
    }

    /// Each frame's receiving node and number of deliveries, in publishing order.
    var frameSizes: [(node: String, count: Int)] { frames.map { ($0.node, $0.sends.count) } }

    /// Numbers the deliveries of frame `index` (of ``frameSizes``) from `first` on.
    mutating func number(frame index: Int, from first: UInt64) {
        frames[index].firstSequence = first
        for (offset, send) in frames[index].sends.enumerated() { sends[send].sequence = first + UInt64(offset) }
    }

    /// The frames as NATS publications, each with the reply subject NATS answers with "no
    /// responders" when its node is gone (``ClusterSubjects/unreachable(_:)``); numbered first.
    public func publications() -> NATSPublishBatch {
        var batch = NATSPublishBatch()
        let nodePrefix = subjects.nodePrefix
        for frame in frames {
            let run = UndeliveredRun(
                senderNode: senderNode,
                receiverNode: frame.node,
                sequences: frame.firstSequence...frame.firstSequence + UInt64(frame.sends.count - 1)
            )
            let (senderNode, epoch) = (self.senderNode, self.epoch)
            batch.appendPublication(payloadLength: ClusterFrame.deliveriesHeaderLength(nodeLength: senderNode.utf8.count) + frame.entries.count) { buffer in
                buffer.append(contentsOf: nodePrefix)
                buffer.append(contentsOf: frame.node.utf8)
            } replyTo: { buffer in
                buffer.append(contentsOf: subjects.unreachable(run).utf8)
            } payload: { buffer in
                buffer.append(ClusterFrame.deliveriesKind)
                buffer.appendBigEndian(epoch)
                buffer.appendBigEndian(frame.firstSequence)
                buffer.append(UInt8(senderNode.utf8.count))
                buffer.append(contentsOf: senderNode.utf8)
                buffer.appendBigEndian(UInt32(frame.sends.count))
                buffer.append(contentsOf: frame.entries)
            }
        }
        return batch
    }

    /// Empties the batch, keeping its buffers.
    public mutating func removeAll() {
        frames.removeAll(keepingCapacity: true)
        openFrames.removeAll(keepingCapacity: true)
        sends.removeAll(keepingCapacity: true)
    }
}
