import Dispatch
import Logging
import MPRelayCore
import MPRelayProtocol
import MPRelayTLS
import Synchronization

extension Connection {
    /// The connection's one timer: the handshake deadline while handshaking, the idle and
    /// slow-consumer checks once registered, the drain deadline while closing.
    func timerFired() {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        switch phase {
        case .handshaking where tls?.isHandshakeComplete == false:
            authenticationFailed("did not finish the TLS handshake within handshake_timeout (\(limits.handshakeTimeout) s); a client without TLS sends nothing on a TLS endpoint and is dropped this way")
        case .handshaking:
            authenticationFailed("did not finish the handshake within handshake_timeout (\(limits.handshakeTimeout) s)")
        case .awaitingHello:
            fail(.unexpectedEnvelope, text: "no HELLO within handshake_timeout (\(limits.handshakeTimeout) s)")
        case .registered:
            if checkSlowConsumer() { return }
            checkIdle()
            rearmSlowConsumerCheck()
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

    /// Disconnects a peer whose queue has been full for `slow_consumer_timeout`: one that senders
    /// could not reach, or whose reading paused at the bound, and that read nothing meanwhile.
    /// Returns whether it did.
    private func checkSlowConsumer() -> Bool {
        let timeout = limits.slowConsumerTimeout
        guard timeout > 0, let stuck = secondsFull(), stuck > timeout else { return false }
        failSlowConsumer(timeout: timeout)
        return true
    }

    /// While the queue stays full, the timer also serves the slow-consumer check.
    private func rearmSlowConsumerCheck() {
        let timeout = limits.slowConsumerTimeout
        guard timeout > 0, let stuck = secondsFull() else { return }
        armTimer(notAfter: max(timeout - stuck, 0) + 0.001)
    }

    private func checkIdle() {
        let interval = limits.idleTimeout
        guard interval > 0 else { return }
        // A peer whose reading the broker paused may be sending all along: not silent.
        if outbound.withLock({ $0.resumeReadingBelow != nil }) { lastHeard = .now() }
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
