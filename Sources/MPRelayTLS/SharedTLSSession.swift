import Synchronization

/// A ``TLSSession`` behind a lock, for a connection whose peers encrypt for it from their own
/// threads while its own thread decrypts what it reads.
///
/// OpenSSL's `SSL` object is not thread-safe, reads included (a read may queue records of its
/// own: an alert, the answer to a key update), so every call into the session takes the one lock.
/// Records come out in the order they are made, into one buffer: only the connection's current
/// writer takes them (``seal(_:)``, ``takeOutput(appendingTo:)``) and writes them before it lets
/// anyone else take more, which keeps them in order on the wire. Records a read made wait in
/// that buffer, and ``hasOutput`` tells the writer's successor, without the lock, that they do.
public final class SharedTLSSession: Sendable {
    /// The session, made by ``start()``; nil before.
    private let session = Mutex<TLSSession?>(nil)
    private let context: TLSContext
    private let serverName: String?
    private let outputWaiting = Atomic<Bool>(false)
    private let handshakeComplete = Atomic<Bool>(false)

    /// A session that will take `context`'s side of the handshake once started; a client gives
    /// `serverName` to send it (SNI) and check the server's certificate against it.
    public init(context: TLSContext, serverName: String? = nil) {
        self.context = context
        self.serverName = serverName
    }

    /// Makes the OpenSSL session.
    ///
    /// - Throws: ``TLSError`` with code `configuration` when OpenSSL cannot make it.
    public func start() throws(TLSError) {
        try session.withLock { slot throws(TLSError) in
            slot = try TLSSession(context: context, serverName: serverName)
        }
    }

    /// Whether the handshake is complete, read without the lock.
    public var isHandshakeComplete: Bool { handshakeComplete.load(ordering: .acquiring) }

    /// Whether records the session made wait to be sent, read without the lock: set by whatever
    /// made them, cleared when the writer takes them.
    public var hasOutput: Bool { outputWaiting.load(ordering: .acquiring) }

    /// Takes ciphertext read from the peer and advances the handshake.
    ///
    /// - Throws: ``TLSError`` with code `handshakeFailed`; the alert for the peer, if any, waits
    ///   in ``takeOutput(appendingTo:)``.
    public func advanceHandshake(receiving ciphertext: UnsafeRawBufferPointer) throws(TLSError) -> TLSSession.HandshakeProgress {
        try locked { session throws(TLSError) in
            session.receiveCiphertext(ciphertext)
            let progress = try session.advanceHandshake()
            if progress == .complete { handshakeComplete.store(true, ordering: .releasing) }
            return progress
        }
    }

    /// Takes ciphertext read from the peer, without decrypting it yet.
    public func receiveCiphertext(_ ciphertext: UnsafeRawBufferPointer) {
        locked { $0.receiveCiphertext(ciphertext) }
    }

    /// Decrypts into `buffer` what has arrived; see ``TLSSession/readPlaintext(into:)``.
    ///
    /// - Throws: ``TLSError`` with code `protocolError` for a record that does not decrypt or a
    ///   renegotiation attempt.
    public func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> TLSSession.ReadOutcome {
        try locked { session throws(TLSError) in try session.readPlaintext(into: buffer) }
    }

    /// Replaces the plaintext in `batch` by the records waiting to be sent followed by its own
    /// records (at most 16 KiB of plaintext each). Call only as the connection's writer.
    ///
    /// - Throws: ``TLSError`` with code `protocolError` when the session refuses.
    public func seal(_ batch: inout [UInt8]) throws(TLSError) {
        try locked { session throws(TLSError) in
            if batch.isEmpty {
                session.takeCiphertext(appendingTo: &batch)
                return
            }
            try batch.withUnsafeBytes { bytes in Result { () throws(TLSError) in try session.writePlaintext(bytes) } }.get()
            batch.removeAll(keepingCapacity: true)
            session.takeCiphertext(appendingTo: &batch)
        }
    }

    /// Moves the records waiting to be sent to the end of `buffer`. Call only as the
    /// connection's writer.
    public func takeOutput(appendingTo buffer: inout [UInt8]) {
        _ = locked { $0.takeCiphertext(appendingTo: &buffer) }
    }

    /// What the handshake agreed on, once it is complete.
    public var peer: TLSPeerInfo? {
        locked { $0.peer }
    }

    /// Runs `body` on the session under the lock, then notes whether records wait to be sent.
    private func locked<Result: Sendable, Failure: Error>(_ body: (TLSSession) throws(Failure) -> Result) throws(Failure) -> Result {
        try session.withLock { session throws(Failure) -> Result in
            guard let session else { preconditionFailure("a SharedTLSSession is used before start()") }
            defer { outputWaiting.store(session.hasCiphertextToSend, ordering: .releasing) }
            return try body(session)
        }
    }
}
