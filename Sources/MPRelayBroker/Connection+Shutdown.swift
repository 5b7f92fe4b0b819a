import Dispatch
import Logging
import MPRelayCore
import MPRelayProtocol
import Synchronization

extension Connection {
    /// Shutdown, first step: take no more envelopes from this peer.
    func stopReading() {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        guard !tornDown else { return }
        isReading = false
    }

    /// Shutdown, second step: after what is queued, GOODBYE, then close.
    func sayGoodbye(_ goodbye: [UInt8], drain: Double) {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        guard !tornDown else { return }
        guard case .registered = phase else {
            teardown(reason: "the broker is shutting down", level: .debug)
            return
        }
        sendToSelf(goodbye)
        closeAfterFlush(reason: "the broker is shutting down", drain: drain)
    }

    /// A write found the peer gone (`EPIPE`, `ECONNRESET`). What it sent before it went may still
    /// wait in the socket: a client that sends and closes at once, with answers or deliveries
    /// unread, makes its kernel reset the connection, and its last messages must not be lost
    /// because a write to it happened to come first. Nothing more is written to it and its queue
    /// refuses new frames (senders are told it is gone); its remaining envelopes are read and
    /// handled to the end of the stream, in a block of its own, then the connection closes.
    func peerWentAway() {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        guard !tornDown, !peerGone else { return }
        peerGone = true
        inflight = []
        outbound.withLock { $0.close() }
        queue.async { [self] in
            while !tornDown, !readAvailable([.readable, .closing]) {}
            teardown(reason: "write failed: peer went away", level: .info)
        }
    }
}
