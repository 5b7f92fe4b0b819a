import MPRelayNATS
public import MPRelayProtocol

/// Frames for other nodes, gathered while a sender's frames are read and published in one write
/// (``ClusterNode/publish(_:)``).
///
/// Deliveries appended with ``appendDelivery(_:from:senderNode:senderConnection:to:on:)`` are
/// numbered when the batch is published, in the order NATS gets them
/// (``OutboundLedger/record(_:now:)``): their sequence fields are written then, in place.
public struct ClusterPublishBatch: Sendable {
    private let subjects: ClusterSubjects
    /// The sending node's incarnation, written in every delivery.
    private let epoch: UInt64
    /// The bytes every node subject and every unreachable-reply subject starts with.
    private let nodePrefix: [UInt8]
    private let unreachablePrefix: [UInt8]
    private var publications = NATSPublishBatch()
    /// Each delivery appended in place, as its sender's ERROR would need it.
    public private(set) var sends: [UndeliveredSend] = []
    /// Where each of ``sends`` keeps its sequence number: in the frame, in the reply subject.
    private var sequenceOffsets: [(frame: Int, reply: Int)] = []
    /// Which of ``sends`` asked for `confirm`.
    private var confirmations: [Bool] = []

    /// An empty batch for the cluster of `subjects`, from the run `epoch` of its node.
    public init(subjects: ClusterSubjects, epoch: UInt64 = 0) {
        self.subjects = subjects
        self.epoch = epoch
        nodePrefix = subjects.nodePrefix
        unreachablePrefix = subjects.unreachablePrefix
    }

    /// How many frames the batch holds.
    public var count: Int { publications.count }

    /// Whether the batch holds nothing.
    public var isEmpty: Bool { publications.isEmpty }

    /// Appends `frame` for `node`; a delivery with `undelivered` comes back as
    /// ``ClusterNodeEvent/undeliverable(_:)`` when no node subscribes there.
    public mutating func append(_ frame: ClusterFrame, to node: String, undelivered: UndeliveredSend? = nil) {
        do {
            try publications.append(subjects.node(node), replyTo: undelivered.map(subjects.unreachable), payload: frame.encoded())
        } catch {
            // Node ids and cluster names are subject tokens (checked with the configuration),
            // and escaped names are too.
            preconditionFailure("cluster subjects are valid NATS subjects: \(error)")
        }
    }

    /// Appends the delivery of a SEND read in place (`message`, its destination `receiver` on
    /// `receiverNode`) from `senderName`, connection `senderConnection` of `senderNode`: the same
    /// bytes as ``append(_:to:undelivered:)`` of the equivalent ``RemoteDelivery`` with its
    /// ``UndeliveredSend``, written without building either (the relay path's per-message cost).
    public mutating func appendDelivery(
        _ message: MessageView,
        from senderName: UnsafeRawBufferPointer,
        senderNode: String,
        senderConnection: UInt64,
        to receiver: PeerName,
        on receiverNode: String
    ) {
        let frameLength = ClusterFrame.sequenceOffset + 8 + 1 + senderNode.utf8.count + 1 + receiver.bytes.count
            + MessageView.fixedHeaderLength + senderName.count + message.payload.count
        let (nodePrefix, unreachablePrefix, epoch) = (self.nodePrefix, self.unreachablePrefix, self.epoch)
        var offsets = (frame: 0, reply: 0)
        publications.appendPublication(payloadLength: frameLength) { buffer in
            buffer.append(contentsOf: nodePrefix)
            buffer.append(contentsOf: receiverNode.utf8)
        } replyTo: { buffer in
            buffer.append(contentsOf: unreachablePrefix)
            buffer.append(contentsOf: senderNode.utf8)
            buffer.append(UInt8(ascii: "."))
            buffer.append(contentsOf: receiverNode.utf8)
            buffer.append(UInt8(ascii: "."))
            NATSEncoder.appendDecimal(senderConnection, to: &buffer)
            buffer.append(UInt8(ascii: "."))
            NATSEncoder.appendDecimal(message.correlationID, to: &buffer)
            buffer.append(UInt8(ascii: "."))
            offsets.reply = buffer.count
            ClusterSubjects.appendSequence(0, to: &buffer)
            buffer.append(UInt8(ascii: "."))
            ClusterKey.appendEscaped(receiver.bytes, to: &buffer)
        } payload: { buffer in
            buffer.append(message.options.contains(.confirm) ? ClusterFrame.confirmedDeliveryKind : ClusterFrame.deliveryKind)
            buffer.appendBigEndian(senderConnection)
            buffer.appendBigEndian(epoch)
            offsets.frame = buffer.count
            buffer.appendBigEndian(0 as UInt64)
            buffer.append(UInt8(senderNode.utf8.count))
            buffer.append(contentsOf: senderNode.utf8)
            buffer.append(UInt8(receiver.bytes.count))
            buffer.append(contentsOf: receiver.bytes)
            MessageView.appendBody(
                kind: .deliver,
                options: message.options.intersection(.forwarded),
                flags: message.flags,
                correlationID: message.correlationID,
                peer: senderName,
                payload: message.payload,
                to: &buffer
            )
        }
        sends.append(UndeliveredSend(
            senderNode: senderNode,
            receiverNode: receiverNode,
            senderConnection: senderConnection,
            correlationID: message.correlationID,
            receiver: receiver
        ))
        sequenceOffsets.append(offsets)
        confirmations.append(message.options.contains(.confirm))
    }

    /// Whether delivery `index` of ``sends`` asked for `confirm`.
    public func isConfirmed(_ index: Int) -> Bool {
        confirmations[index]
    }

    /// Writes `sequence` as the number of delivery `index` of ``sends``, in its frame and its
    /// reply subject.
    mutating func number(_ index: Int, as sequence: UInt64) {
        sends[index].sequence = sequence
        let offsets = sequenceOffsets[index]
        publications.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: sequence.bigEndian, toByteOffset: offsets.frame, as: UInt64.self)
            ClusterSubjects.writeSequence(sequence, into: UnsafeMutableRawBufferPointer(rebasing: bytes[offsets.reply...]))
        }
    }

    /// The encoded publications.
    var natsBatch: NATSPublishBatch { publications }

    /// The bytes written to NATS for this batch: its `PUB` operations, back to back.
    public var bytes: [UInt8] { publications.bytes }

    /// Empties the batch, keeping its buffer.
    public mutating func removeAll() {
        publications.removeAll()
        sends.removeAll(keepingCapacity: true)
        sequenceOffsets.removeAll(keepingCapacity: true)
        confirmations.removeAll(keepingCapacity: true)
    }
}
