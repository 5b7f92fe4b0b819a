import Glibc
import MPRelayTLS

/// TLS over a connected, blocking socket for ``RelayClient``: the handshake, then plaintext in
/// and out through a ``TLSSession``.
final class ClientTLS {
    private let session: TLSSession
    private let fd: Int32
    private var ciphertext: [UInt8] = []
    private var incoming = [UInt8](repeating: 0, count: 64 * 1024)

    /// Runs the TLS handshake on `fd`, checking the server's certificate against `serverName`.
    init(fd: Int32, context: TLSContext, serverName: String) throws(RelayClientError) {
        self.fd = fd
        do {
            session = try TLSSession(context: context, serverName: serverName)
            while try session.advanceHandshake() == .needsMoreInput {
                try sendCiphertext()
                guard try receiveCiphertext() else { throw RelayClientError(.closed, "the broker closed the connection during the TLS handshake") }
            }
        } catch let error as TLSError {
            throw RelayClientError(.authenticationFailed, "TLS with \(serverName): \(error)")
        } catch let error as RelayClientError {
            throw error
        } catch {
            throw RelayClientError(.ioFailed, "TLS with \(serverName): \(error)")
        }
        try sendCiphertext()
    }

    /// Encrypts and writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(RelayClientError) {
        do {
            try session.writePlaintext(bytes)
        } catch {
            throw RelayClientError(.ioFailed, "\(error)")
        }
        try sendCiphertext()
    }

    /// Blocks until plaintext arrives, then copies as much as has arrived, up to `buffer.count`
    /// bytes; 0 at the broker's close. Every whole record received is decrypted, so a caller that
    /// waits in `poll(2)` for more is not left with plaintext stuck in the session.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(RelayClientError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let outcome: TLSSession.ReadOutcome
            do {
                outcome = try session.readPlaintext(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            } catch {
                throw RelayClientError(.ioFailed, "\(error)")
            }
            switch outcome {
            case .bytes(let count):
                filled += count
            case .closed:
                return filled
            case .needsMoreInput:
                if filled > 0 { return filled }
                try sendCiphertext()
                guard try receiveCiphertext() else { return 0 }
            }
        }
        return filled
    }

    /// Reads once from the socket into the session; false at end of file.
    private func receiveCiphertext() throws(RelayClientError) -> Bool {
        let count = try incoming.withUnsafeMutableBytes { buffer in Result { () throws(RelayClientError) in try RelayClient.receive(fd, into: buffer) } }.get()
        guard count > 0 else { return false }
        incoming.withUnsafeBytes { session.receiveCiphertext(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        return true
    }

    /// Writes the records the session produced.
    private func sendCiphertext() throws(RelayClientError) {
        ciphertext.removeAll(keepingCapacity: true)
        session.takeCiphertext(appendingTo: &ciphertext)
        try RelayClient.sendAll(fd, ciphertext)
    }
}
