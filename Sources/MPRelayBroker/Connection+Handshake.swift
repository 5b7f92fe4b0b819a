import Dispatch
import Logging
import MPRelayProtocol
import Synchronization

extension Connection {
    /// Sends the challenge; the timer armed at start enforces the deadline.
    func beginHandshake() {
        guard case .handshaking(var handshake) = phase else { return }
        sendToSelf(Frame.encode(handshake.start()))
        phase = .handshaking(handshake)
        flush()
    }

    /// Feeds one handshake frame to the state machine and carries out its answer.
    func handleHandshakeFrame(_ frame: UnsafeRawBufferPointer, _ handshake: ServerHandshake) -> FrameDecoder.Directive {
        var handshake = handshake
        let action = handshake.receive(frame)
        phase = .handshaking(handshake)
        switch action {
        case .send(let reply):
            sendToSelf(Frame.encode(reply))
            return .proceed
        case .fail(let reply, let error):
            if let reply { sendToSelf(Frame.encode(reply)) }
            authenticationFailed(error.reason)
            return .stop
        case .established(let reply, let outcome):
            if let reply { sendToSelf(Frame.encode(reply)) }
            context.handshakeEnded()
            phase = .awaitingHello(outcome)
            logger.info("authenticated from \(remote) on \(endpoint.address) (\(outcome.digestDescription))")
            return .changeLimit(limits.maxFrameBodyLength)
        }
    }

    /// Logs a failed authentication with the remote address (never the key) and closes.
    func authenticationFailed(_ reason: String) {
        context.statistics.authFailures.add(1, ordering: .relaxed)
        logger.warning("authentication failed from \(remote) on \(endpoint.address): \(reason)")
        context.handshakeEnded()
        closeAfterFlush(reason: "authentication failed")
    }
}
