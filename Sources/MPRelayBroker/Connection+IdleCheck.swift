import Dispatch
import Logging
import MPRelayProtocol

extension Connection {
    /// The connection's one timer: the handshake deadline while handshaking, the idle check once
    /// registered, the drain deadline while closing.
    func timerFired() {
        dispatchPrecondition(condition: .onQueue(queue))
        switch phase {
        case .handshaking:
            authenticationFailed("did not finish the handshake within handshake_timeout (\(limits.handshakeTimeout) s)")
        case .awaitingHello:
            fail(.unexpectedEnvelope, text: "no HELLO within handshake_timeout (\(limits.handshakeTimeout) s)")
        case .registered:
            checkIdle()
        case .closing:
            teardown(reason: "queued frames not flushed in time", level: .debug)
        }
    }

    /// Arms the idle check: every `idle_timeout` seconds a silent peer is pinged, and one still
    /// silent a whole interval after the PING is dropped, so half-open TCP connections do not linger.
    func armIdleCheck() {
        let interval = limits.idleTimeout
        armTimer(after: interval > 0 ? interval : nil)
    }

    private func checkIdle() {
        let interval = limits.idleTimeout
        guard interval > 0 else { return }
        let silence = Double(DispatchTime.now().uptimeNanoseconds - lastHeard.uptimeNanoseconds) / 1e9
        if silence < interval {
            armTimer(after: interval - silence)
        } else if pingOutstanding {
            fail(.idleTimeout, text: "no answer to PING within idle_timeout (\(interval) s)")
        } else {
            pingOutstanding = true
            sendToSelf(Envelope.ping(correlationID: UInt64(id)).encodedFrame())
            flush()
            armTimer(after: interval)
        }
    }
}
