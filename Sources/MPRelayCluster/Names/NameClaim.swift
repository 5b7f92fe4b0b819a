/// Who holds a name: the value of its `name.` key.
///
/// Stored as the text `<node> <incarnation> <connection>` (incarnation in hex), so that
/// `nats kv get` shows it to an operator as it is.
public struct NameClaim: Hashable, Sendable, CustomStringConvertible {
    /// The node the holder is connected to.
    public var node: String
    /// The node's incarnation: a random number drawn at each start, so that claims left by an
    /// earlier run of the same node id can be told apart.
    public var incarnation: UInt64
    /// The holder's connection number on that node.
    public var connection: UInt64

    /// A claim by `connection` on `node` in its `incarnation`.
    public init(node: String, incarnation: UInt64, connection: UInt64) {
        self.node = node
        self.incarnation = incarnation
        self.connection = connection
    }

    /// Parses a stored value; nil for anything else.
    public init?(_ bytes: [UInt8]) {
        let parts = bytes.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, let node = String(validating: parts[0], as: UTF8.self),
            let incarnation = UInt64(String(decoding: parts[1], as: UTF8.self), radix: 16),
            let connection = UInt64(String(decoding: parts[2], as: UTF8.self))
        else { return nil }
        guard ClusterKey("node." + node) != nil else { return nil }
        self.init(node: node, incarnation: incarnation, connection: connection)
    }

    /// The stored value.
    public var bytes: [UInt8] { Array(description.utf8) }

    /// `<node> <incarnation in hex> <connection>`.
    public var description: String { "\(node) \(String(incarnation, radix: 16)) \(connection)" }
}
