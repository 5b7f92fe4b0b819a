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
        dispatchPrecondition(condition: .onQueue(queue))
        guard let context = endpoint.tls else { return }
        do {
            tls = try TLSSession(context: context)
        } catch {
            teardown(reason: "cannot start TLS: \(error)", level: .error)
        }
    }

    /// Takes ciphertext read from the socket: advances the TLS handshake, or decrypts the records
    /// into `scratch` (free again, since the session copied the ciphertext) and feeds the frames.
    /// Records are decrypted back to back until `scratch` is full, then fed at once: OpenSSL
    /// hands out one record (at most 16 KiB) a call, and feeding each alone would split frames
    /// at every record boundary, each split costing the decoder a copy.
    func receiveTLS(_ ciphertext: UnsafeRawBufferPointer, _ tls: TLSSession, scratch: UnsafeMutableRawBufferPointer) {
        tls.receiveCiphertext(ciphertext)
        if !tls.isHandshakeComplete {
            let progress: TLSSession.HandshakeProgress
            do {
                progress = try tls.advanceHandshake()
            } catch {
                sendTLSOutput(tls)
                context.statistics.recordTLSFailure(error.failure ?? .other)
                authenticationFailed(error.description)
                return
            }
            sendTLSOutput(tls)
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
                sendTLSOutput(tls)
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
                // Alerts, or an answer to a renegotiation attempt, go out at once.
                if tls.hasCiphertextToSend { sendTLSOutput(tls) }
                return
            case .closed:
                if filled > 0 { feed(UnsafeRawBufferPointer(rebasing: scratch[..<filled])) }
                teardown(reason: "peer closed the connection (TLS close_notify)", level: .info)
                return
            }
        }
    }

    /// Replaces the plaintext batch in `batch` by its TLS records. Returns false when the session
    /// refused (the connection is then torn down).
    func encrypt(_ batch: inout [UInt8], _ tls: TLSSession) -> Bool {
        do {
            try batch.withUnsafeBytes { try tls.writePlaintext($0) }
        } catch {
            teardown(reason: "\(error)", level: .warning)
            return false
        }
        batch.removeAll(keepingCapacity: true)
        tls.takeCiphertext(appendingTo: &batch)
        return true
    }

    /// Writes the records the session produced on its own (handshake, alerts) behind whatever is
    /// being written.
    private func sendTLSOutput(_ tls: TLSSession) {
        guard tls.hasCiphertextToSend else { return }
        tls.takeCiphertext(appendingTo: &inflight)
        flush()
    }

}
