/// A message from the server (`MSG` or `HMSG`), copied out of the read buffer.
public struct NATSMessage: Equatable, Sendable {
    /// The subject it was published to.
    public var subject: String
    /// The subscription it was delivered for.
    public var sid: UInt64
    /// Where the publisher wants the answer, if anywhere.
    public var replyTo: String?
    /// The header block, when the message came as `HMSG`.
    public var headers: NATSHeaders?
    /// The payload.
    public var payload: [UInt8]

    /// Creates a message.
    public init(subject: String, sid: UInt64, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: [UInt8]) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }

    /// The header status (e.g. 503 for no responders), if any.
    public var status: Int? { headers?.status }
}

/// A message as the parser found it: views into the bytes being parsed, valid only during the
/// handler call they are passed to. ``NATSLink``-style readers use the payload in place;
/// everything else copies it with ``message()``.
public struct NATSMessageView {
    /// The subject's bytes.
    public let subject: UnsafeRawBufferPointer
    /// The subscription id.
    public let sid: UInt64
    /// The reply subject's bytes; empty when there is none.
    public let replyTo: UnsafeRawBufferPointer
    /// The parsed header block, for `HMSG`.
    public let headers: NATSHeaders?
    /// The payload's bytes.
    public let payload: UnsafeRawBufferPointer

    /// Copies the view into a ``NATSMessage``.
    public func message() -> NATSMessage {
        NATSMessage(
            subject: String(decoding: subject, as: UTF8.self),
            sid: sid,
            replyTo: replyTo.isEmpty ? nil : String(decoding: replyTo, as: UTF8.self),
            headers: headers,
            payload: Array(payload)
        )
    }
}

/// One operation from the server.
public enum NATSServerOperation {
    /// `INFO {...}`: the server's description, first on every connection and again on changes.
    case info(NATSServerInfo)
    /// `MSG` or `HMSG`.
    case message(NATSMessageView)
    /// `PING`: the client must answer `PONG`.
    case ping
    /// `PONG`: the answer to the client's oldest unanswered `PING`.
    case pong
    /// `+OK`: sent only to `verbose` clients.
    case ok
    /// `-ERR 'text'`: the text without its quotes.
    case error(String)
}
