/// A SEND or DELIVER read in place from a frame body, without copying the name or the payload.
///
/// This is what the broker's relay path uses: it looks the peer up by its bytes and copies the
/// payload once, straight into the receiver's write batch.
public struct MessageView {
    /// The byte offset of the name in every SEND and DELIVER.
    public static let nameOffset = 12
    /// Kind, options, flags, correlation id and name length.
    public static let fixedHeaderLength = nameOffset

    public let kind: EnvelopeKind
    public let options: MessageOptions
    public let flags: UInt8
    public let correlationID: UInt64
    /// The peer name bytes, not validated: a name that is not registered is simply unknown.
    public let peer: UnsafeRawBufferPointer
    public let payload: UnsafeRawBufferPointer

    /// Reads a SEND or DELIVER from `body`, which must stay valid while the view is used.
    public init(_ body: UnsafeRawBufferPointer) throws(EnvelopeError) {
        guard let first = body.first else { throw .empty }
        guard let kind = EnvelopeKind(rawValue: first), kind == .send || kind == .deliver else {
            throw .unknownKind(first)
        }
        guard body.count >= Self.fixedHeaderLength else {
            throw .truncated(kind, needed: Self.fixedHeaderLength + 1, got: body.count)
        }
        let options = MessageOptions(rawValue: body[1])
        let allowed: MessageOptions = kind == .send ? .validForSend : .forwarded
        guard options.isSubset(of: allowed) else {
            throw .unknownOptions(kind, options.subtracting(allowed).rawValue)
        }
        let nameLength = Int(body[11])
        guard nameLength > 0 else { throw .invalidName(kind, .empty) }
        let payloadOffset = Self.nameOffset + nameLength
        guard body.count >= payloadOffset else { throw .truncated(kind, needed: payloadOffset, got: body.count) }
        self.kind = kind
        self.options = options
        self.flags = body[2]
        self.correlationID = body.readBigEndian(at: 3, as: UInt64.self)
        self.peer = UnsafeRawBufferPointer(rebasing: body[Self.nameOffset..<payloadOffset])
        self.payload = UnsafeRawBufferPointer(rebasing: body[payloadOffset...])
    }

    /// Appends a whole DELIVER or SEND frame (header and body) to `buffer`.
    ///
    /// One copy of the payload; everything else is written in place.
    @inlinable
    public static func appendFrame(
        kind: EnvelopeKind,
        options: MessageOptions,
        flags: UInt8,
        correlationID: UInt64,
        peer: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer,
        to buffer: inout [UInt8]
    ) {
        append(kind: kind, options: options, flags: flags, correlationID: correlationID, peer: peer, payload: payload, framed: true, to: &buffer)
    }

    /// Appends the body of a DELIVER or SEND (no frame header) to `buffer`: what an envelope
    /// carried inside another frame needs, e.g. a delivery between cluster nodes.
    @inlinable
    public static func appendBody(
        kind: EnvelopeKind,
        options: MessageOptions,
        flags: UInt8,
        correlationID: UInt64,
        peer: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer,
        to buffer: inout [UInt8]
    ) {
        append(kind: kind, options: options, flags: flags, correlationID: correlationID, peer: peer, payload: payload, framed: false, to: &buffer)
    }

    /// The body, after the frame header when `framed`.
    @inlinable
    static func append(
        kind: EnvelopeKind,
        options: MessageOptions,
        flags: UInt8,
        correlationID: UInt64,
        peer: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer,
        framed: Bool,
        to buffer: inout [UInt8]
    ) {
        precondition(!peer.isEmpty && peer.count <= PeerName.maxLength)
        let bodyLength = fixedHeaderLength + peer.count + payload.count
        let prefixLength = framed ? Frame.headerLength(forBodyLength: bodyLength) : 0
        // Everything before the payload is written on the stack and appended at once: appending
        // field by field checked the array's uniqueness and capacity for each.
        withUnsafeTemporaryAllocation(byteCount: prefixLength + fixedHeaderLength + peer.count, alignment: 8) { head in
            let start = framed ? Frame.writeHeader(bodyLength: bodyLength, into: head) : 0
            head[start] = kind.rawValue
            head[start + 1] = options.rawValue
            head[start + 2] = flags
            head.storeBytes(of: correlationID.bigEndian, toByteOffset: start + 3, as: UInt64.self)
            head[start + 11] = UInt8(peer.count)
            UnsafeMutableRawBufferPointer(rebasing: head[(start + nameOffset)...]).copyMemory(from: peer)
            buffer.append(contentsOf: UnsafeRawBufferPointer(head))
        }
        buffer.append(contentsOf: payload)
    }

    /// The number of frame bytes ``appendFrame(kind:options:flags:correlationID:peer:payload:to:)``
    /// writes for a peer name and payload of these lengths.
    @inlinable
    public static func frameLength(peerLength: Int, payloadLength: Int) -> Int {
        let body = fixedHeaderLength + peerLength + payloadLength
        return Frame.headerLength(forBodyLength: body) + body
    }
}
