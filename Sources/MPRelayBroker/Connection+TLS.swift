import Dispatch
import Glibc
import Logging
import MPRelayCore
import MPRelayProtocol
import MPRelayTLS
import Synchronization

extension Connection {
    /// Starts a TLS endpoint's connection: the server side of the TLS handshake, whose end starts
    /// the multiprocessing handshake. Both count against `handshake_timeout`.
    func startTLS() {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        do {
            try tls?.start()
        } catch {
            teardown(reason: "cannot start TLS: \(error)", level: .error)
        }
    }

    /// Takes ciphertext read from the socket: advances the TLS handshake, or decrypts the records
    /// into `scratch` (free again, since the session copied the ciphertext) and feeds the frames.
    /// Records are decrypted back to back until `scratch` is full, then fed at once: OpenSSL
    /// hands out one record (at most 16 KiB) a call, and feeding each alone would split frames
    /// at every record boundary, each split costing the decoder a copy. The session's lock is
    /// held for each call into OpenSSL only, never while frames are handled, so that senders
    /// writing to this connection directly wait for one record at most.
    func receiveTLS(_ ciphertext: UnsafeRawBufferPointer, _ tls: SharedTLSSession, scratch: UnsafeMutableRawBufferPointer) {
        if tls.isHandshakeComplete {
            tls.receiveCiphertext(ciphertext)
        } else {
            let progress: TLSSession.HandshakeProgress
            do {
                progress = try tls.advanceHandshake(receiving: ciphertext)
            } catch {
                flush()
                context.statistics.recordTLSFailure(error.failure ?? .other)
                authenticationFailed(error.description)
                return
            }
            flush()
            guard progress == .complete else { return }
            tlsPeer = tls.peer
            context.statistics.tlsHandshakes.add(1, ordering: .relaxed)
            beginHandshake()
        }
        var filled = 0
        while isReading, !isClosing {
            let outcome: TLSSession.ReadOutcome
            do {
                outcome = try tls.readPlaintext(into: UnsafeMutableRawBufferPointer(rebasing: scratch[filled...]))
            } catch {
                flush()
                teardown(reason: "\(error)", level: .warning)
                return
            }
            switch outcome {
            case .bytes(let count):
                filled += count
                if filled < scratch.count { continue }
                feed(UnsafeRawBufferPointer(rebasing: scratch[..<filled]))
                filled = 0
            case .needsMoreInput:
                if filled > 0 { feed(UnsafeRawBufferPointer(rebasing: scratch[..<filled])) }
                // Alerts, or an answer to a renegotiation attempt or a key update, go out at once
                // (behind the records of a sender writing directly, if one is).
                if tls.hasOutput { flush() }
                return
            case .closed:
                if filled > 0 { feed(UnsafeRawBufferPointer(rebasing: scratch[..<filled])) }
                teardown(reason: "peer closed the connection (TLS close_notify)", level: .info)
                return
            }
        }
    }
}
