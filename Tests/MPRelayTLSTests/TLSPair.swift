import MPRelayTLS
import Testing

/// A client and a server session wired back to back in memory: what one sends, the other
/// receives, with no socket in between.
struct TLSPair {
    let client: TLSSession
    let server: TLSSession

    init(client clientContext: TLSContext, server serverContext: TLSContext, serverName: String? = "localhost") throws {
        client = try TLSSession(context: clientContext, serverName: serverName)
        server = try TLSSession(context: serverContext)
    }

    /// Moves ciphertext from `from` to `to`; returns whether there was any.
    @discardableResult
    static func pass(from: TLSSession, to: TLSSession) -> Bool {
        var bytes: [UInt8] = []
        guard from.takeCiphertext(appendingTo: &bytes) > 0 else { return false }
        bytes.withUnsafeBytes { to.receiveCiphertext($0) }
        return true
    }

    /// Runs both handshakes to the end. Throws the first side's failure, client first.
    func handshake() throws {
        for _ in 0..<20 {
            let clientDone = try client.advanceHandshake() == .complete
            let sent = Self.pass(from: client, to: server)
            let serverDone = try server.advanceHandshake() == .complete
            let answered = Self.pass(from: server, to: client)
            if clientDone && serverDone && !sent && !answered { return }
        }
        Issue.record("the handshake did not finish in 20 rounds")
    }

    /// Sends `bytes` from `from` to `to` and returns what `to` decrypts.
    static func transfer(_ bytes: [UInt8], from: TLSSession, to: TLSSession) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try from.writePlaintext($0) }
        pass(from: from, to: to)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let outcome = try buffer.withUnsafeMutableBytes { try to.readPlaintext(into: $0) }
            guard case .bytes(let count) = outcome else { return received }
            received += buffer[..<count]
        }
    }
}
