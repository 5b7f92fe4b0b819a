import MPRelayCommon
public import MPRelayProtocol

/// A key of the cluster's key-value bucket: a name claim or a node's lease.
///
/// Key-value keys allow only `A-Z a-z 0-9 - _ = / .`, with `.` between tokens, while a peer name
/// is any UTF-8 without white space; so a name's bytes outside `A-Z a-z 0-9 - _` are written as
/// `=` and two upper-case hex digits: `worker-1` is `name.worker-1`, `a.b` is `name.a=2Eb`.
public enum ClusterKey: Hashable, Sendable, CustomStringConvertible {
    /// `name.<escaped name>`: who holds the name.
    case name(PeerName)
    /// `node.<id>`: the node's lease, refreshed while it lives.
    case node(String)

    /// Parses a key of the bucket; nil for a key mprelay does not write.
    public init?(_ key: String) {
        if key.hasPrefix("node.") {
            let id = String(key.dropFirst(5))
            guard ClusterToken.isValid(id) else { return nil }
            self = .node(id)
        } else if key.hasPrefix("name."), let bytes = Self.unescape(Array(key.utf8.dropFirst(5))),
            let name = try? PeerName(validating: bytes)
        {
            self = .name(name)
        } else {
            return nil
        }
    }

    /// Whether this is a name claim (not a node's lease).
    public var isName: Bool {
        if case .name = self { return true }
        return false
    }

    /// The key as stored.
    public var description: String {
        switch self {
        case .node(let id): return "node." + id
        case .name(let name): return "name." + Self.escape(name.bytes)
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Bytes written as they are: those of a node id, which every key token may hold.
    private static func isPlain(_ byte: UInt8) -> Bool {
        ClusterToken.isValidByte(byte)
    }

    static func escape(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count)
        appendEscaped(bytes, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends the escaped form of a name's `bytes` to `buffer`.
    static func appendEscaped(_ bytes: [UInt8], to buffer: inout [UInt8]) {
        if bytes.allSatisfy(isPlain) {
            buffer.append(contentsOf: bytes)
            return
        }
        for byte in bytes {
            if isPlain(byte) {
                buffer.append(byte)
            } else {
                buffer += [UInt8(ascii: "="), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            }
        }
    }

    /// The bytes of an escaped name, or nil when `text` is not the one escaping of any bytes
    /// (a plain byte escaped, lower-case hex, a stray `=`), so that one name has one key.
    static func unescape(_ text: [UInt8]) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = 0
        while index < text.count {
            let byte = text[index]
            if isPlain(byte) {
                bytes.append(byte)
                index += 1
                continue
            }
            guard byte == UInt8(ascii: "="), index + 2 < text.count,
                let high = hexDigits.firstIndex(of: text[index + 1]), let low = hexDigits.firstIndex(of: text[index + 2])
            else { return nil }
            let decoded = UInt8(high << 4 | low)
            guard !isPlain(decoded) else { return nil }
            bytes.append(decoded)
            index += 3
        }
        return bytes
    }
}
