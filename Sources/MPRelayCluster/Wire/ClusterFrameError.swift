public import MPRelayProtocol

/// Why bytes published to a node's subject are not a ``ClusterFrame``.
public enum ClusterFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No bytes at all.
    case empty
    /// The first byte names no frame kind.
    case unknownKind(UInt8)
    /// The frame ends inside the named field.
    case truncated(String)
    /// The sender node is not a node id.
    case invalidNode(ArraySlice<UInt8>)
    /// The receiver is not a peer name.
    case invalidReceiver(PeerNameError)
    /// The embedded envelope does not decode.
    case invalidEnvelope(EnvelopeError)
    /// The embedded envelope is of a kind this frame cannot carry.
    case unexpectedEnvelope(EnvelopeKind)
    /// A frame of deliveries that holds none.
    case noDeliveries
    /// An entry's flags hold bits that mean nothing.
    case unknownFlags(UInt8)
    /// The frame's sequence numbers run past the largest u64.
    case sequenceOverflow
    /// An acknowledgement's lost ranges are out of order, overlap, or pass its `through`.
    case invalidLostRange(String)
    /// An acknowledgement's refused runs are out of order, overlap, pass its `through`, or
    /// name an ERROR code the protocol does not define.
    case invalidRefusedRun(String)
    /// Bytes follow the end of the frame.
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .empty: return "an empty cluster frame"
        case .unknownKind(let kind): return "unknown cluster frame kind 0x\(String(kind, radix: 16))"
        case .truncated(let field): return "the cluster frame ends inside its \(field)"
        case .invalidNode(let bytes): return "\"\(String(decoding: bytes, as: UTF8.self))\" is not a node id"
        case .invalidReceiver(let error): return "the cluster frame's receiver: \(error)"
        case .invalidEnvelope(let error): return "the cluster frame's envelope: \(error)"
        case .unexpectedEnvelope(let kind): return "a cluster frame cannot carry \(kind) here"
        case .noDeliveries: return "a frame of deliveries that holds none"
        case .unknownFlags(let flags): return "unknown delivery flags 0x\(String(flags, radix: 16))"
        case .sequenceOverflow: return "the frame's sequence numbers pass 2^64 - 1"
        case .invalidLostRange(let detail): return "an acknowledgement's lost range is invalid: \(detail)"
        case .invalidRefusedRun(let detail): return "an acknowledgement's refused run is invalid: \(detail)"
        case .trailingBytes(let count): return "\(count) byte(s) after the end of the frame"
        }
    }
}
