import Dispatch
import MPRelayProtocol

extension Connection {
    /// Checks every `idle_timeout` seconds whether the peer was heard from: a silent peer is
    /// pinged, and one still silent a whole interval after the PING is dropped, so half-open TCP
    /// connections do not linger.
    func armIdleCheck() {
        let interval = limits.idleTimeout
        guard interval > 0 else { return }
        queue.asyncAfter(deadline: .now() + interval) { [weak self] in
            guard let self, case .registered = self.phase else { return }
            let silence = Double(DispatchTime.now().uptimeNanoseconds - self.lastHeard.uptimeNanoseconds) / 1e9
            if silence < interval {
                self.armIdleCheck()
            } else if self.pingOutstanding {
                self.fail(.idleTimeout, text: "no answer to PING within idle_timeout (\(interval) s)")
            } else {
                self.pingOutstanding = true
                self.sendToSelf(Envelope.ping(correlationID: UInt64(self.id)).encodedFrame())
                self.flush()
                self.armIdleCheck()
            }
        }
    }
}
