import MPRelayProtocol

/// One client connection of a throughput or latency run, in the protocol being measured.
///
/// The engines own the loop, the payloads and the checks; a link only moves payloads. Sends are
/// batched: ``queue(_:to:)`` appends, ``flush()`` writes everything queued.
protocol MessageLink: AnyObject {
    /// The socket, for `poll(2)`.
    var fileDescriptor: Int32 { get }
    /// Bytes queued and not yet written.
    var queuedByteCount: Int { get }
    /// Errors the server reported on this connection (ERROR envelopes, `-ERR` lines).
    var errorCount: Int { get }
    /// The last error the server reported, for the summary.
    var lastError: String? { get }

    /// Queues one message with `payload` for `target` (a peer name, or a NATS subject).
    func queue(_ payload: UnsafeRawBufferPointer, to target: PeerName)

    /// Writes everything queued, blocking until it is out.
    func flush() throws(BenchError)

    /// Reads once (blocking if nothing is there) and calls `deliver` with each message payload
    /// that read completes, in place.
    func receive(_ deliver: (UnsafeRawBufferPointer) -> Void) throws(BenchError)
}

/// Which server a throughput or latency run measures.
enum WireProtocol: String, CaseIterable, Sendable {
    /// mprelayd: the multiprocessing handshake, then protocol v1 envelopes.
    case mprelay
    /// nats-server: the NATS text protocol.
    case nats

    /// Where the server listens unless `--address` says otherwise.
    var defaultAddress: String {
        switch self {
        case .mprelay: return "127.0.0.1:6000"
        case .nats: return "127.0.0.1:4222"
        }
    }
}
