import Foundation

/// A JetStream key-value bucket: a stream `KV_<bucket>` on subjects `$KV.<bucket>.<key>` that keeps
/// the last revision of each key, with the calls a name registry needs.
///
/// Writes are revision-checked with `Nats-Expected-Last-Subject-Sequence`, so two clients racing
/// for one key cannot both win. Reads go to the stream leader (`STREAM.MSG.GET`), so a read after
/// a write sees it, whichever server the client is on. The calls block the calling thread for at
/// most ``timeout`` each; do not make them from a subscription handler's queue if that queue is
/// also the watcher's.
public struct NATSKeyValue: Sendable {
    /// The bucket's name.
    public let bucket: String
    /// The connection the calls go through.
    public let connection: NATSConnection
    /// How long one JetStream call may take.
    public let timeout: Duration

    /// Uses the bucket `bucket`, as created by ``create(bucket:replicas:maxAge:on:timeout:)`` here
    /// or elsewhere; nothing is checked until the first call.
    public init(bucket: String, connection: NATSConnection, timeout: Duration = .seconds(5)) {
        self.bucket = bucket
        self.connection = connection
        self.timeout = timeout
    }

    var streamName: String { "KV_\(bucket)" }
    var subjectPrefix: String { "$KV.\(bucket)." }

    /// The stream configuration of a key-value bucket, as nats.go writes it.
    private struct StreamConfig: Encodable {
        let name: String
        let subjects: [String]
        let retention = "limits"
        let max_consumers = -1
        let max_msgs_per_subject = 1
        let max_msgs = -1
        let max_bytes = -1
        let max_age: Int64
        let max_msg_size = -1
        let storage = "file"
        let discard = "new"
        let num_replicas: Int
        let duplicate_window: Int64
        let allow_rollup_hdrs = true
        let deny_delete = true
        let deny_purge = false
        let allow_direct = true
    }

    /// Creates the bucket's stream, or binds to it when it exists with the same configuration.
    ///
    /// - Parameters:
    ///   - bucket: Letters, digits, `-` and `_`.
    ///   - replicas: Copies of every value, one per server (3 in a three-node cluster).
    ///   - maxAge: How long a revision lives; nil: forever.
    /// - Throws: ``NATSError/invalidKey(_:)`` for a bad bucket name,
    ///   ``NATSError/jetStream(subject:code:errorCode:description:)`` when JetStream refuses (for
    ///   instance the bucket exists with another configuration).
    public static func create(
        bucket: String,
        replicas: Int = 1,
        maxAge: Duration? = nil,
        on connection: NATSConnection,
        timeout: Duration = .seconds(5)
    ) throws(NATSError) -> NATSKeyValue {
        guard !bucket.isEmpty, bucket.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
            throw .invalidKey(bucket)
        }
        let store = NATSKeyValue(bucket: bucket, connection: connection, timeout: timeout)
        let age = maxAge.map { Int64($0.milliseconds) * 1_000_000 } ?? 0
        let config = StreamConfig(
            name: store.streamName, subjects: ["$KV.\(bucket).>"], max_age: age, num_replicas: replicas,
            duplicate_window: age > 0 ? min(age, 120_000_000_000) : 120_000_000_000
        )
        let subject = "$JS.API.STREAM.CREATE.\(store.streamName)"
        struct Created: Decodable {}
        _ = try JetStreamAPI.request(connection, subject, body: JetStreamAPI.encode(config), timeout: timeout, as: Created.self)
        return store
    }

    /// Stores `value` under `key` only if the key has no value (never set, deleted or purged).
    ///
    /// - Returns: The new revision.
    /// - Throws: ``NATSError/keyExists(bucket:key:)`` when the key has a value, whoever set it.
    public func create(_ key: String, value: [UInt8]) throws(NATSError) -> UInt64 {
        do {
            return try update(key, value: value, revision: 0)
        } catch .wrongRevision {
            // A delete or purge marker may stand where the key was: then the key is free, and the
            // marker's revision is the one to replace (nats.go's Create does the same).
            guard let latest = try latest(key), latest.operation != .put else { throw .keyExists(bucket: bucket, key: key) }
            do {
                return try update(key, value: value, revision: latest.revision)
            } catch .wrongRevision {
                throw .keyExists(bucket: bucket, key: key)
            }
        }
    }

    /// Stores `value` under `key` only if the key's latest revision is `revision` (0: none).
    ///
    /// - Returns: The new revision.
    /// - Throws: ``NATSError/wrongRevision(bucket:key:expected:)``.
    public func update(_ key: String, value: [UInt8], revision: UInt64) throws(NATSError) -> UInt64 {
        try write(key, value: value, headers: NATSHeaders(["Nats-Expected-Last-Subject-Sequence": String(revision)]), revision: revision)
    }

    /// Stores `value` under `key` whatever was there.
    ///
    /// - Returns: The new revision.
    public func put(_ key: String, value: [UInt8]) throws(NATSError) -> UInt64 {
        try write(key, value: value, headers: nil, revision: nil)
    }

    /// Deletes `key`, only if its latest revision is `revision` when one is given. A marker
    /// stays, so that watchers see the delete.
    ///
    /// - Returns: The revision of the delete marker.
    /// - Throws: ``NATSError/wrongRevision(bucket:key:expected:)``.
    @discardableResult
    public func delete(_ key: String, revision: UInt64? = nil) throws(NATSError) -> UInt64 {
        var headers = NATSHeaders(["KV-Operation": "DEL"])
        if let revision { headers.append("Nats-Expected-Last-Subject-Sequence", String(revision)) }
        return try write(key, value: [], headers: headers, revision: revision)
    }

    /// Purges `key`: its history goes, one purge marker stays.
    ///
    /// - Returns: The revision of the purge marker.
    @discardableResult
    public func purge(_ key: String) throws(NATSError) -> UInt64 {
        try write(key, value: [], headers: NATSHeaders(["KV-Operation": "PURGE", "Nats-Rollup": "sub"]), revision: nil)
    }

    /// The value of `key`, or nil when it has none (never set, deleted or purged).
    public func get(_ key: String) throws(NATSError) -> NATSKeyValueEntry? {
        guard let entry = try latest(key), entry.operation == .put else { return nil }
        return entry
    }

    /// The keys that have a value now, sorted.
    public func keys() throws(NATSError) -> [String] {
        var keys: [String] = []
        for entry in try NATSKeyValueWatcher.snapshot(of: self) where entry.operation == .put {
            keys.append(entry.key)
        }
        return keys.sorted()
    }

    /// The latest revision of `key`, a delete or purge marker included; nil when there is none.
    func latest(_ key: String) throws(NATSError) -> NATSKeyValueEntry? {
        let subject = try self.subject(for: key)
        struct Get: Encodable { let last_by_subj: String }
        let api = "$JS.API.STREAM.MSG.GET.\(streamName)"
        let stored: JetStreamAPI.StoredMessage
        do {
            stored = try JetStreamAPI.request(connection, api, body: JetStreamAPI.encode(Get(last_by_subj: subject)), timeout: timeout, as: JetStreamAPI.StoredMessage.self)
        } catch .jetStream(_, _, JetStreamAPI.noMessageFound, _) {
            return nil
        }
        var headers: NATSHeaders?
        if let encoded = stored.message.hdrs, let block = Data(base64Encoded: encoded) {
            let parsed = Array(block).withUnsafeBytes { bytes in
                Result { () throws(NATSProtocolError) in try NATSHeaders.parse(bytes, subject: subject) }
            }
            switch parsed {
            case .success(let block): headers = block
            case .failure(let error): throw .malformedResponse(subject: api, detail: "\(error)")
            }
        }
        let value = stored.message.data.flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
        return NATSKeyValueEntry(bucket: bucket, key: key, value: value, revision: stored.message.seq, operation: NATSKeyValueEntry.operation(headers))
    }

    /// Publishes to the key's subject and waits for the stream's acknowledgement.
    private func write(_ key: String, value: [UInt8], headers: NATSHeaders?, revision: UInt64?) throws(NATSError) -> UInt64 {
        let subject = try self.subject(for: key)
        do {
            return try JetStreamAPI.request(connection, subject, headers: headers, body: value, timeout: timeout, as: JetStreamAPI.PubAck.self).seq
        } catch .jetStream(_, _, JetStreamAPI.wrongLastSequence, _) {
            throw .wrongRevision(bucket: bucket, key: key, expected: revision ?? 0)
        }
    }

    /// `$KV.<bucket>.<key>`, after checking the key: letters, digits, `-/_=.`, no empty token.
    func subject(for key: String) throws(NATSError) -> String {
        let allowed = key.utf8.allSatisfy { byte in
            Self.isAlphanumeric(byte) || "-/_=.".utf8.contains(byte)
        }
        guard allowed, !key.isEmpty, !key.hasPrefix("."), !key.hasSuffix("."), !key.contains("..") else { throw .invalidKey(key) }
        return subjectPrefix + key
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
