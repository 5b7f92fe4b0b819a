extension Envelope {
    /// The largest envelope overhead around a payload: a SEND or DELIVER header with a 255-byte
    /// name. A frame may be this much longer than `max_message_bytes`.
    public static let maxHeaderLength = MessageView.fixedHeaderLength + PeerName.maxLength

    /// Decodes a frame body.
    public init(decoding body: UnsafeRawBufferPointer) throws(EnvelopeError) {
        guard let first = body.first else { throw .empty }
        guard let kind = EnvelopeKind(rawValue: first) else { throw .unknownKind(first) }
        var reader = EnvelopeReader(body: body, kind: kind)
        switch kind {
        case .send, .deliver:
            let view = try MessageView(body)
            let peer: PeerName
            do { peer = try PeerName(validating: view.peer) } catch { throw .invalidName(kind, error) }
            let message = Message(
                options: view.options,
                flags: view.flags,
                correlationID: view.correlationID,
                peer: peer,
                payload: Array(view.payload)
            )
            self = kind == .send ? .send(message) : .deliver(message)
            return
        case .hello:
            let version = try reader.byte()
            self = .hello(version: version, name: try reader.name())
        case .welcome:
            self = .welcome(version: try reader.byte(), maxMessageBytes: try reader.integer(UInt64.self))
        case .error:
            let code = try reader.integer(UInt16.self)
            let correlationID = try reader.integer(UInt64.self)
            let peer = try reader.bytes(count: Int(try reader.byte()))
            self = .error(ErrorReport(rawCode: code, correlationID: correlationID, peer: peer, text: try reader.text()))
        case .ack:
            self = .ack(correlationID: try reader.integer(UInt64.self))
        case .ping:
            self = .ping(correlationID: try reader.integer(UInt64.self))
        case .pong:
            self = .pong(correlationID: try reader.integer(UInt64.self))
        case .goodbye:
            let raw = try reader.integer(UInt16.self)
            guard let reason = GoodbyeReason(rawValue: raw) else { throw .unknownGoodbyeReason(raw) }
            self = .goodbye(reason: reason, text: try reader.text())
        case .list:
            self = .list(correlationID: try reader.integer(UInt64.self))
        case .peerList:
            let correlationID = try reader.integer(UInt64.self)
            let count = Int(try reader.integer(UInt32.self))
            var names: [PeerName] = []
            names.reserveCapacity(min(count, body.count / 2))
            for _ in 0..<count { names.append(try reader.name()) }
            self = .peerList(correlationID: correlationID, names: names)
        case .watch:
            let correlationID = try reader.integer(UInt64.self)
            let flag = try reader.byte()
            guard flag <= 1 else { throw .invalidBoolean(kind, flag) }
            self = .watch(correlationID: correlationID, enabled: flag == 1)
        case .peerJoined:
            self = .peerJoined(try reader.name())
        case .peerLeft:
            self = .peerLeft(try reader.name())
        }
        try reader.finish()
    }

    /// Decodes a frame body held in an array.
    public init(decoding body: [UInt8]) throws(EnvelopeError) {
        let decoded = body.withUnsafeBytes { bytes in
            Result { () throws(EnvelopeError) in try Envelope(decoding: bytes) }
        }
        self = try decoded.get()
    }

    /// Appends this envelope as a whole frame, header included.
    public func appendFrame(to buffer: inout [UInt8]) {
        switch self {
        case .send(let message), .deliver(let message):
            message.peer.bytes.withUnsafeBytes { peer in
                message.payload.withUnsafeBytes { payload in
                    MessageView.appendFrame(
                        kind: kind,
                        options: message.options,
                        flags: message.flags,
                        correlationID: message.correlationID,
                        peer: peer,
                        payload: payload,
                        to: &buffer
                    )
                }
            }
        default:
            let body = encodedBody()
            Frame.appendHeader(bodyLength: body.count, to: &buffer)
            buffer.append(contentsOf: body)
        }
    }

    /// This envelope as a frame body, without the length header.
    public func encodedBody() -> [UInt8] {
        var body: [UInt8] = [kind.rawValue]
        switch self {
        case .send(let message), .deliver(let message):
            let bodyLength = MessageView.fixedHeaderLength + message.peer.bytes.count + message.payload.count
            return Array(encodedFrame().dropFirst(Frame.headerLength(forBodyLength: bodyLength)))
        case .hello(let version, let name):
            body.append(version)
            body.appendName(name.bytes)
        case .welcome(let version, let maxMessageBytes):
            body.append(version)
            body.appendBigEndian(maxMessageBytes)
        case .error(let report):
            body.appendBigEndian(report.rawCode)
            body.appendBigEndian(report.correlationID)
            body.appendName(report.peer)
            body.append(contentsOf: report.text.utf8)
        case .ack(let id), .ping(let id), .pong(let id), .list(let id):
            body.appendBigEndian(id)
        case .goodbye(let reason, let text):
            body.appendBigEndian(reason.rawValue)
            body.append(contentsOf: text.utf8)
        case .peerList(let id, let names):
            body.appendBigEndian(id)
            body.appendBigEndian(UInt32(names.count))
            for name in names { body.appendName(name.bytes) }
        case .watch(let id, let enabled):
            body.appendBigEndian(id)
            body.append(enabled ? 1 : 0)
        case .peerJoined(let name), .peerLeft(let name):
            body.appendName(name.bytes)
        }
        return body
    }

    /// This envelope as a whole frame.
    public func encodedFrame() -> [UInt8] {
        var frame: [UInt8] = []
        appendFrame(to: &frame)
        return frame
    }
}

extension Array where Element == UInt8 {
    /// Appends a one-byte length and the name; the caller guarantees at most 255 bytes.
    fileprivate mutating func appendName(_ name: [UInt8]) {
        append(UInt8(truncatingIfNeeded: Swift.min(name.count, PeerName.maxLength)))
        append(contentsOf: name.prefix(PeerName.maxLength))
    }
}

/// Bounds-checked reads from an envelope body, each failure naming the envelope kind.
private struct EnvelopeReader {
    let body: UnsafeRawBufferPointer
    let kind: EnvelopeKind
    var offset = 1

    mutating func byte() throws(EnvelopeError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return body[offset]
    }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws(EnvelopeError) -> T {
        try need(MemoryLayout<T>.size)
        defer { offset += MemoryLayout<T>.size }
        return body.readBigEndian(at: offset, as: T.self)
    }

    mutating func bytes(count: Int) throws(EnvelopeError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(body[offset..<(offset + count)])
    }

    mutating func name() throws(EnvelopeError) -> PeerName {
        let raw = try bytes(count: Int(try byte()))
        do { return try PeerName(validating: raw) } catch { throw .invalidName(kind, error) }
    }

    /// The rest of the body as UTF-8 text.
    mutating func text() throws(EnvelopeError) -> String {
        let raw = try bytes(count: body.count - offset)
        guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidText(kind) }
        return text
    }

    func finish() throws(EnvelopeError) {
        guard offset == body.count else { throw .trailingBytes(kind, count: body.count - offset) }
    }

    private func need(_ count: Int) throws(EnvelopeError) {
        guard body.count - offset >= count else { throw .truncated(kind, needed: offset + count, got: body.count) }
    }
}
