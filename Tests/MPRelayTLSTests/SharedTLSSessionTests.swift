import Dispatch
import MPRelayTLS
import Synchronization
import Testing

@Suite("A TLS session shared between its owner and senders")
struct SharedTLSSessionTests {
    /// A client session and a started shared server session, handshake done.
    static func connectedPair() throws -> (client: TLSSession, server: SharedTLSSession) {
        let client = try TLSSession(context: TLSSessionTests.clientContext(), serverName: "localhost")
        let server = SharedTLSSession(context: try TLSSessionTests.serverContext())
        try server.start()
        #expect(!server.hasOutput && !server.isHandshakeComplete)
        var wire: [UInt8] = []
        for _ in 0..<10 {
            let clientDone = try client.advanceHandshake() == .complete
            wire.removeAll()
            client.takeCiphertext(appendingTo: &wire)
            let serverDone = try wire.withUnsafeBytes { try server.advanceHandshake(receiving: $0) } == .complete
            let answered = server.hasOutput
            wire.removeAll()
            server.takeOutput(appendingTo: &wire)
            #expect(!server.hasOutput, "taking the records clears hasOutput")
            wire.withUnsafeBytes { client.receiveCiphertext($0) }
            if clientDone && serverDone && !answered { break }
        }
        #expect(server.isHandshakeComplete)
        #expect(server.peer?.version == "TLSv1.3")
        return (client, server)
    }

    @Test("the server's handshake flight is reported waiting until taken")
    func handshakeOutput() throws {
        let client = try TLSSession(context: TLSSessionTests.clientContext(), serverName: "localhost")
        let server = SharedTLSSession(context: try TLSSessionTests.serverContext())
        try server.start()
        _ = try client.advanceHandshake()
        var hello: [UInt8] = []
        client.takeCiphertext(appendingTo: &hello)
        #expect(try hello.withUnsafeBytes { try server.advanceHandshake(receiving: $0) } == .needsMoreInput)
        #expect(server.hasOutput)
        var flight: [UInt8] = []
        try server.seal(&flight)
        #expect(!flight.isEmpty && !server.hasOutput, "sealing an empty batch takes the waiting records")
    }

    @Test("batches sealed on several threads while the owner decrypts arrive whole and in the order taken")
    func concurrentSealAndRead() throws {
        let (client, server) = try Self.connectedPair()
        let writers = 4
        let batchesPerWriter = 200
        // The wire, in the order batches were sealed: one writer at a time, as on a connection.
        let wire = Mutex<[UInt8]>([])
        let upstream = [UInt8](repeating: 0x5A, count: 64 * 1024)
        try upstream.withUnsafeBytes { try client.writePlaintext($0) }
        var sent: [UInt8] = []
        client.takeCiphertext(appendingTo: &sent)
        let fromClient = sent
        let received = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: writers + 1) { index in
            guard index < writers else {
                // The owner: decrypts what the client sent, a little at a time, meanwhile.
                var plaintext = [UInt8](repeating: 0, count: 4096)
                for start in stride(from: 0, to: fromClient.count, by: 1000) {
                    fromClient[start..<min(start + 1000, fromClient.count)].withUnsafeBytes { server.receiveCiphertext($0) }
                    while case .bytes(let count)? = try? plaintext.withUnsafeMutableBytes({ try server.readPlaintext(into: $0) }) {
                        received.withLock { $0 += count }
                    }
                }
                return
            }
            for sequence in 0..<batchesPerWriter {
                var batch = [UInt8](repeating: UInt8(index), count: 3000 + sequence)
                batch[0] = UInt8(sequence & 0xFF)
                wire.withLock { wire in
                    do {
                        try server.seal(&batch)
                    } catch {
                        Issue.record("seal failed: \(error)")
                    }
                    wire += batch
                }
            }
        }
        #expect(received.withLock { $0 } == upstream.count)
        wire.withLock { $0 }.withUnsafeBytes { client.receiveCiphertext($0) }
        var stream: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while case .bytes(let count) = try buffer.withUnsafeMutableBytes({ try client.readPlaintext(into: $0) }) {
            stream += buffer[..<count]
        }
        // Each batch is 3000 + sequence bytes of its writer's index, after a sequence byte.
        var next = [Int](repeating: 0, count: writers)
        var offset = 0
        while offset < stream.count {
            let writer = Int(stream[offset + 1])
            let sequence = next[writer]
            let length = 3000 + sequence
            #expect(stream[offset] == UInt8(sequence & 0xFF), "writer \(writer)'s batches in order")
            #expect(stream[(offset + 1)..<(offset + length)].allSatisfy { $0 == UInt8(writer) }, "batch \(sequence) of writer \(writer) whole")
            next[writer] += 1
            offset += length
        }
        #expect(next == [Int](repeating: batchesPerWriter, count: writers))
    }
}
