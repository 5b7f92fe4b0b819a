/// One revision of a key in a ``NATSKeyValue`` bucket.
public struct NATSKeyValueEntry: Equatable, Sendable {
    /// What the revision did to the key.
    public enum Operation: String, Equatable, Sendable {
        /// A value was stored.
        case put
        /// The key was deleted (a marker stays, so that watchers see it).
        case delete
        /// The key and its history were purged.
        case purge
    }

    /// The bucket.
    public var bucket: String
    /// The key.
    public var key: String
    /// The value; empty for a delete or purge.
    public var value: [UInt8]
    /// The revision: the stream sequence of this message, increasing across the bucket.
    public var revision: UInt64
    /// What the revision did.
    public var operation: Operation

    /// Creates an entry.
    public init(bucket: String, key: String, value: [UInt8], revision: UInt64, operation: Operation) {
        self.bucket = bucket
        self.key = key
        self.value = value
        self.revision = revision
        self.operation = operation
    }

    /// The operation a message's `KV-Operation` header names; a put when there is none.
    static func operation(_ headers: NATSHeaders?) -> Operation {
        switch headers?["KV-Operation"] {
        case "DEL": return .delete
        case "PURGE": return .purge
        default: return .put
        }
    }
}

/// What a ``NATSKeyValueWatcher`` reports.
public enum NATSKeyValueEvent: Equatable, Sendable {
    /// A revision: first the latest of every key present when the watch began, then each new one.
    case entry(NATSKeyValueEntry)
    /// Every revision present when the watch began has been reported; what follows is live.
    case initialValuesDone
}
