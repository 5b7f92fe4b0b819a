internal import Glibc
import Synchronization

/// TLS over a connected, blocking socket: a ``TLSSession`` with the socket calls around it, for
/// clients that block a thread per connection.
///
/// One thread may ``receive(into:)`` while others ``send(_:)``: the session is behind a lock
/// taken only around OpenSSL calls, and a second lock, held from encrypting to the last byte
/// sent, keeps records on the wire in the order they were made (a reader that has to answer the
/// peer, a TLS 1.3 key update say, takes it too). The socket's own timeouts (`SO_RCVTIMEO`,
/// `SO_SNDTIMEO`) bound every call. The caller owns the descriptor and closes it.
public final class TLSStream: Sendable {
    /// What one ``receive(into:)`` got.
    public enum Received: Equatable, Sendable {
        /// This many plaintext bytes were written to the buffer.
        case bytes(Int)
        /// The socket's receive timeout passed with no whole record.
        case timedOut
        /// The peer closed the connection (close_notify, or end of file).
        case closed
    }

    /// The connected socket.
    public let descriptor: Int32
    /// What the handshake agreed on.
    public let peer: TLSPeerInfo
    /// OpenSSL's state of the connection, touched only with `sessionLock` held.
    nonisolated(unsafe) private let session: TLSSession
    private let sessionLock = Mutex(())
    /// Held from encrypting to the last byte sent; holds the ciphertext being sent.
    private let sending = Mutex<[UInt8]>([])
    /// The reader's buffer for ciphertext from the socket.
    private let incoming = Mutex<[UInt8]>([UInt8](repeating: 0, count: 64 * 1024))

    /// Runs the TLS handshake on `descriptor` as `context`'s client (or server), checking the
    /// peer's certificate against `serverName`.
    ///
    /// - Throws: ``TLSError`` with code `handshakeFailed` (the certificate, the version, the
    ///   peer's alert) or `transport` (the socket failed, timed out or closed).
    public init(descriptor: Int32, context: TLSContext, serverName: String?) throws(TLSError) {
        self.descriptor = descriptor
        let handshaking = try TLSSession(context: context, serverName: serverName)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var output: [UInt8] = []
        while try handshaking.advanceHandshake() == .needsMoreInput {
            handshaking.takeCiphertext(appendingTo: &output)
            try Self.sendAll(descriptor, output)
            output.removeAll(keepingCapacity: true)
            let count = try buffer.withUnsafeMutableBytes { Self.receiveOnce(descriptor, into: $0) }.get()
            guard count > 0 else {
                throw TLSError(.transport, "the peer closed the connection during the TLS handshake (\(count == 0 ? "end of file" : "receive timeout"))")
            }
            buffer.withUnsafeBytes { handshaking.receiveCiphertext(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        // A client's Finished goes out after the handshake completes on its side.
        handshaking.takeCiphertext(appendingTo: &output)
        try Self.sendAll(descriptor, output)
        guard let peer = handshaking.peer else { preconditionFailure("a complete TLS handshake has its peer") }
        self.peer = peer
        session = handshaking
    }

    /// Encrypts all of `bytes` and sends the records.
    ///
    /// - Throws: ``TLSError`` with code `transport` naming the errno (a send timeout is
    ///   `EAGAIN`), or `protocolError` when the session refuses.
    public func send(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        try sending.withLock { ciphertext throws(TLSError) in
            defer { ciphertext.removeAll(keepingCapacity: ciphertext.capacity <= 1 << 20) }
            try sessionLock.withLock { _ throws(TLSError) in
                try session.writePlaintext(bytes)
                session.takeCiphertext(appendingTo: &ciphertext)
            }
            try Self.sendAll(descriptor, ciphertext)
        }
    }

    /// Blocks until plaintext arrives, then decrypts every whole record received into `buffer`,
    /// up to `buffer.count` bytes, so a caller that waits in `poll(2)` for more is not left with
    /// plaintext stuck in the session.
    ///
    /// - Throws: ``TLSError`` with code `protocolError` for a record that does not decrypt,
    ///   `transport` naming the errno for a failed receive.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Received {
        var filled = 0
        while true {
            let (outcome, answer) = try sessionLock.withLock { _ throws(TLSError) in
                (try session.readPlaintext(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])), session.hasCiphertextToSend)
            }
            switch outcome {
            case .bytes(let count):
                filled += count
                if filled < buffer.count { continue }
                return .bytes(filled)
            case .closed:
                return filled > 0 ? .bytes(filled) : .closed
            case .needsMoreInput:
                if filled > 0 { return .bytes(filled) }
            }
            if answer { try send(UnsafeRawBufferPointer(start: nil, count: 0)) }
            let count = try incoming.withLock { incoming throws(TLSError) in
                let count = try incoming.withUnsafeMutableBytes { Self.receiveOnce(descriptor, into: $0) }.get()
                if count > 0 {
                    incoming.withUnsafeBytes { bytes in sessionLock.withLock { _ in session.receiveCiphertext(UnsafeRawBufferPointer(rebasing: bytes[..<count])) } }
                }
                return count
            }
            if count == 0 { return .closed }
            if count < 0 { return .timedOut }
        }
    }

    /// One `recv`: the byte count, 0 at end of file, -1 when the receive timeout passed.
    private static func receiveOnce(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, TLSError> {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count >= 0 { return .success(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .success(-1)
            case let error: return .failure(TLSError(.transport, "recv failed: \(String(cString: strerror(error)))"))
            }
        }
    }

    private static func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) throws(TLSError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw TLSError(.transport, "send failed: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }
}
