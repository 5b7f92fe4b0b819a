/// The spelling of a cluster's name and of a node's id: one token of a NATS subject and of a
/// JetStream key-value key, so the configuration, the bucket's keys and the frames nodes
/// exchange all check it by the same rule.
public enum ClusterToken {
    /// The characters a node id or a cluster name may hold, as docs/CONFIG.md writes them.
    public static let characters = "A-Z a-z 0-9 _ -"
    /// The longest node id or cluster name, in bytes.
    public static let maxLength = 64

    /// Whether `text` can be a node id or cluster name: 1 to ``maxLength`` bytes of
    /// ``characters``.
    public static func isValid(_ text: String) -> Bool {
        (1...maxLength).contains(text.utf8.count) && text.utf8.allSatisfy(isValidByte)
    }

    /// Whether `byte` is one of ``characters``.
    public static func isValidByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
