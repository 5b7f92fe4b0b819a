import Dispatch
import Logging
import MPRelayProtocol

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
}
