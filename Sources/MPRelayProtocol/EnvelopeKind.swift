/// The first byte of every envelope: what the rest of the frame holds.
public enum EnvelopeKind: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case hello = 0x01
    case welcome = 0x02
    case send = 0x03
    case deliver = 0x04
    case error = 0x05
    case ack = 0x06
    case ping = 0x07
    case pong = 0x08
    case goodbye = 0x09
    case list = 0x0A
    case peerList = 0x0B
    case watch = 0x0C
    case peerJoined = 0x0D
    case peerLeft = 0x0E

    public var description: String {
        switch self {
        case .hello: return "HELLO"
        case .welcome: return "WELCOME"
        case .send: return "SEND"
        case .deliver: return "DELIVER"
        case .error: return "ERROR"
        case .ack: return "ACK"
        case .ping: return "PING"
        case .pong: return "PONG"
        case .goodbye: return "GOODBYE"
        case .list: return "LIST"
        case .peerList: return "PEERS"
        case .watch: return "WATCH"
        case .peerJoined: return "JOINED"
        case .peerLeft: return "LEFT"
        }
    }
}
