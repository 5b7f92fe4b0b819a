import MPRelayCommon
import MPRelayNATS
public import MPRelayProtocol

/// The deliveries a sender's read batch has for other nodes, gathered into one frame per node
/// (``ClusterFrame/deliveries(_:)``, a new one past ``maxFrameBytes``) and published frame by
/// frame (``ClusterNode/publish(_:)``): NATS handles one message where the sender wrote many.
///
/// Each frame's entries are written in place into its NATS publication; the deliveries are
/// numbered when the batch is published, in the order NATS gets them
/// (``OutboundLedger/record(_:now:)``), and the frame's header and `PUB` line are written in
/// front of its entries then (``NATSPublication``). Buffers are kept for the next batch.
public struct ClusterPublishBatch: Sendable {
    private struct Frame: Sendable {
        /// The receiving node.
        var node: String
        /// The encoded entries (layout in ``ClusterFrame``), back to back, as the publication's
        /// payload.
        var publication: NATSPublication
        /// Where the frame's deliveries are in ``ClusterPublishBatch/sends``.
        var sends: [Int] = []
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
    /// Publications of earlier batches, emptied, for the next frames.
    private var spare: [NATSPublication] = []
    /// The room each publication keeps for its `PUB` line and frame header.
    private let headroom: Int
    /// Each delivery, as its sender's ERROR would need it, in the order appended.
    public private(set) var sends: [UndeliveredSend] = []

    /// An empty batch from node `senderNode` (run `epoch`) for the cluster of `subjects`.
    public init(subjects: ClusterSubjects, senderNode: String, epoch: UInt64, maxFrameBytes: Int = 32 * 1024, maxPayload: Int = 1024 * 1024) {
        self.subjects = subjects
        self.senderNode = senderNode
        self.epoch = epoch
        self.maxFrameBytes = maxFrameBytes
        self.maxPayload = maxPayload
        // `PUB <subject> <reply> <size>\r\n` with the longest node ids and numbers, then the
        // frame's header.
        let longestNode = ClusterToken.maxLength
        let reply = subjects.unreachable(UndeliveredRun(senderNode: senderNode, receiverNode: "", sequences: UInt64.max...UInt64.max))
        headroom = 4 + subjects.node("").utf8.count + longestNode + 1 + reply.utf8.count + longestNode + 1 + 20 + 2
            + ClusterFrame.deliveriesHeaderLength(nodeLength: senderNode.utf8.count)
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
        // A read batch's deliveries mostly go to one node: the last frame is tried first.
        var index = frames.last?.node == receiverNode ? frames.count - 1 : openFrames[receiverNode] ?? -1
        if index < 0 || frames[index].publication.payloadCount + 4 + length > min(maxFrameBytes, maxPayload - ClusterFrame.deliveriesHeaderLength(nodeLength: senderNode.utf8.count)) {
            index = frames.count
            frames.append(Frame(node: receiverNode, publication: spare.popLast() ?? NATSPublication(headroom: headroom)))
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
        frames[index].publication.appendPayload { entries in
            entries.appendBigEndian(UInt32(length))
            entries.append(confirm ? ClusterFrame.confirmFlag : 0)
            entries.appendBigEndian(senderConnection)
            entries.append(UInt8(receiver.bytes.count))
            entries.append(contentsOf: receiver.bytes)
            MessageView.appendBody(
                kind: .deliver,
                options: message.options.intersection(.forwarded),
                flags: message.flags,
                correlationID: message.correlationID,
                peer: senderName,
                payload: message.payload,
                to: &entries
            )
        }
    }

    /// Each frame's receiving node and number of deliveries, in publishing order.
    var frameSizes: [(node: String, count: Int)] { frames.map { ($0.node, $0.sends.count) } }

    /// Numbers the deliveries of frame `index` (of ``frameSizes``) from `first` on, and seals
    /// its publication: the frame's header and `PUB` line, with the reply subject NATS answers
    /// with "no responders" when its node is gone (``ClusterSubjects/unreachable(_:)``).
    mutating func number(frame index: Int, from first: UInt64) {
        for (offset, send) in frames[index].sends.enumerated() { sends[send].sequence = first + UInt64(offset) }
        let node = frames[index].node
        let count = frames[index].sends.count
        var header: [UInt8] = [ClusterFrame.deliveriesKind]
        header.reserveCapacity(ClusterFrame.deliveriesHeaderLength(nodeLength: senderNode.utf8.count))
        header.appendBigEndian(epoch)
        header.appendBigEndian(first)
        header.append(UInt8(senderNode.utf8.count))
        header.append(contentsOf: senderNode.utf8)
        header.appendBigEndian(UInt32(count))
        let run = UndeliveredRun(senderNode: senderNode, receiverNode: node, sequences: first...first + UInt64(count - 1))
        frames[index].publication.seal(subject: Array(subjects.node(node).utf8), replyTo: Array(subjects.unreachable(run).utf8), payloadHeader: header)
    }

    /// The indices in ``sends`` of frame `index`'s deliveries.
    func sends(ofFrame index: Int) -> [Int] {
        frames[index].sends
    }

    /// Frame `index`'s publication, numbered and sealed.
    func publication(ofFrame index: Int) -> NATSPublication {
        frames[index].publication
    }

    /// The indices in ``sends`` of the deliveries of the frames from `index` on.
    public func sends(fromFrame index: Int) -> [Int] {
        frames[index...].flatMap(\.sends).sorted()
    }

    /// Every frame's bytes, back to back, as published.
    public var bytes: [UInt8] { Array(frames.map(\.publication.bytes).joined()) }

    /// Empties the batch, keeping its buffers.
    public mutating func removeAll() {
        for index in frames.indices {
            // Moved out, not copied: the publication's buffer stays uniquely held.
            var publication = NATSPublication(headroom: 0)
            swap(&publication, &frames[index].publication)
            publication = NATSPublication(reusing: publication, headroom: headroom)
            spare.append(publication)
        }
        frames.removeAll(keepingCapacity: true)
        openFrames.removeAll(keepingCapacity: true)
        sends.removeAll(keepingCapacity: true)
    }
}
