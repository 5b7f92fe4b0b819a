/// One decoded envelope of protocol v1: the body of every frame after the handshake.
///
/// docs/PROTOCOL.md gives the byte layout of each case. Decoding copies; the broker's relay path
/// uses ``MessageView`` instead, which reads a SEND in place.
public enum Envelope: Equatable, Sendable {
    /// The protocol version this library speaks.
    public static let protocolVersion: UInt8 = 1

    /// Client to broker, first: register `name`, speaking protocol `version`.
    case hello(version: UInt8, name: PeerName)
    /// Broker to client: registered; payloads may be up to `maxMessageBytes` long.
    case welcome(version: UInt8, maxMessageBytes: UInt64)
    /// Client to broker: deliver `message.payload` to the peer `message.peer`.
    case send(Message)
    /// Broker to client: `message.peer` (stamped by the broker) sent this.
    case deliver(Message)
    /// Broker to client: the envelope with `correlationID` (0 if none) failed.
    case error(ErrorReport)
    /// Broker to client: the SEND with this correlation id was queued for its receiver,
    /// or the WATCH with this id took effect.
    case ack(correlationID: UInt64)
    /// Either way: are you there? Answered by a PONG with the same id.
    case ping(correlationID: UInt64)
    /// Either way: the answer to a PING.
    case pong(correlationID: UInt64)
    /// Either way: the sender is about to close the connection.
    case goodbye(reason: GoodbyeReason, text: String)
    /// Client to broker: which peers are registered?
    case list(correlationID: UInt64)
    /// Broker to client: the answer to LIST.
    case peerList(correlationID: UInt64, names: [PeerName])
    /// Client to broker: start (`enabled`) or stop presence events.
    case watch(correlationID: UInt64, enabled: Bool)
    /// Broker to watcher: a peer registered.
    case peerJoined(PeerName)
    /// Broker to watcher: a peer went away.
    case peerLeft(PeerName)

    /// The kind byte this envelope starts with.
    public var kind: EnvelopeKind {
        switch self {
        case .hello: return .hello
        case .welcome: return .welcome
        case .send: return .send
        case .deliver: return .deliver
        case .error: return .error
        case .ack: return .ack
        case .ping: return .ping
        case .pong: return .pong
        case .goodbye: return .goodbye
        case .list: return .list
        case .peerList: return .peerList
        case .watch: return .watch
        case .peerJoined: return .peerJoined
        case .peerLeft: return .peerLeft
        }
    }
}

/// The options bits of SEND and DELIVER, which the broker interprets (unlike the flags byte).
public struct MessageOptions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// SEND only: answer with ACK (or ERROR) so the sender learns the broker's verdict.
    public static let confirm = MessageOptions(rawValue: 0x01)
    /// This message answers the request whose correlation id it carries.
    public static let reply = MessageOptions(rawValue: 0x02)

    /// Every bit a SEND may set.
    public static let validForSend: MessageOptions = [.confirm, .reply]
    /// The bits the broker copies from a SEND into its DELIVER.
    public static let forwarded: MessageOptions = [.reply]
}

/// The common body of SEND and DELIVER.
public struct Message: Equatable, Sendable {
    /// Options the broker interprets.
    public var options: MessageOptions
    /// Eight bits the broker passes through untouched (bit 0: the payload is a pickle).
    public var flags: UInt8
    /// Chosen by the sender; 0 means none. Travels with the DELIVER so the receiver can reply.
    public var correlationID: UInt64
    /// SEND: the receiver. DELIVER: the sender, as registered.
    public var peer: PeerName
    /// Opaque bytes; the broker never looks inside.
    public var payload: [UInt8]

    public init(options: MessageOptions = [], flags: UInt8 = 0, correlationID: UInt64 = 0, peer: PeerName, payload: [UInt8]) {
        self.options = options
        self.flags = flags
        self.correlationID = correlationID
        self.peer = peer
        self.payload = payload
    }
}

/// The body of an ERROR envelope.
public struct ErrorReport: Equatable, Sendable {
    /// What went wrong; an unknown code from a newer broker decodes as nil.
    public var code: RelayErrorCode?
    /// The code as sent.
    public var rawCode: UInt16
    /// The correlation id of the envelope at fault, or 0.
    public var correlationID: UInt64
    /// The peer the error is about (the destination of a SEND, the name in a HELLO), if any.
    public var peer: [UInt8]
    /// A sentence for people.
    public var text: String

    public init(code: RelayErrorCode, correlationID: UInt64 = 0, peer: [UInt8] = [], text: String) {
        self.code = code
        self.rawCode = code.rawValue
        self.correlationID = correlationID
        self.peer = peer
        self.text = text
    }

    init(rawCode: UInt16, correlationID: UInt64, peer: [UInt8], text: String) {
        self.code = RelayErrorCode(rawValue: rawCode)
        self.rawCode = rawCode
        self.correlationID = correlationID
        self.peer = peer
        self.text = text
    }
}
