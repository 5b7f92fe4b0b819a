import Dispatch
import Glibc
import Logging
import MPRelayCommon
import MPRelayCore
import MPRelayPOSIX
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
            acknowledgeNow()
            return .proceed
        case .fail(let reply, let error):
            if let reply { sendToSelf(Frame.encode(reply)) }
            authenticationFailed(error.reason)
            return .stop
        case .established(let reply, let outcome):
            if let reply { sendToSelf(Frame.encode(reply)) }
            acknowledgeNow()
            releaseHandshakeSlot()
            phase = .awaitingHello(outcome)
            guard let bound = bindPrincipal(outcome) else { return .stop }
            let principalNote = bound.isImplicit ? "" : " as principal \(bound.rules.name)"
            logger.info("authenticated from \(remote) on \(endpoint.address)\(principalNote) (\(outcome.digestDescription))")
            return .changeLimit(limits.maxFrameBodyLength)
        }
    }

    /// Gives back the `max_handshakes` slot taken at accept, once.
    func releaseHandshakeSlot() {
        guard holdsHandshakeSlot else { return }
        holdsHandshakeSlot = false
        context.handshakeEnded()
    }

    /// Asks TCP to acknowledge what was read at once. The client's last handshake frame is
    /// followed by its HELLO; with Nagle's algorithm on (the stock `Client` does not set
    /// TCP_NODELAY) that HELLO waits for this ACK, which the kernel would otherwise delay ~40 ms.
    private func acknowledgeNow() {
        switch endpoint.address {
        case .inet, .inet6: SocketIO.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_QUICKACK, value: 1)
        case .unixPath, .unixAbstract, .systemdSocket: break
        }
    }

    /// Logs a failed authentication with the remote address (never the key) and closes.
    /// Failures from one origin are logged at WARNING once per `auth_failure_window` and when they
    /// reach `auth_failure_limit`, with their count; the others at DEBUG.
    func authenticationFailed(_ reason: String) {
        context.statistics.authFailures.add(1, ordering: .relaxed)
        let verdict = context.authFailures.recordFailure(
            origin,
            limit: limits.authFailureLimit,
            window: limits.authFailureWindow,
            penalty: limits.authFailurePenalty
        )
        let count = verdict.failures > 1 ? " (\(verdict.failures) failures from \(origin) in the last \(limits.authFailureWindow) s)" : ""
        logger.log(
            level: verdict.log ? .warning : .debug,
            "authentication failed from \(remote) on \(endpoint.address): \(reason)\(count)"
        )
        if verdict.refusedFromNow {
            logger.warning("refusing connections from \(origin) for \(limits.authFailurePenalty) s after \(verdict.failures) failed handshakes (auth_failure_limit)")
        }
        releaseHandshakeSlot()
        closeAfterFlush(reason: "authentication failed")
    }
}
