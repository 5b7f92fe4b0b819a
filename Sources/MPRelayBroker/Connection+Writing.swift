import Dispatch
import Logging
import MPRelayCore
import MPRelayPOSIX
import MPRelayProtocol
import MPRelayTLS
import Synchronization

extension Connection {
    /// Queues a frame for this connection from any queue. `bound` defaults to the outbound limit.
    func enqueue(frameLength: Int, bound: Int, maxFrames: Int = .max, _ write: (inout [UInt8]) -> Void) -> Outbound.AppendOutcome {
        outbound.withLock { $0.append(frameLength: frameLength, bound: bound, maxFrames: maxFrames, now: Self.uptime, write) }
    }

    /// Called by a sender whose frame did not fit: disconnects this receiver once it has been
    /// full for longer than `slow_consumer_timeout`.
    /// The first refusal also sets this receiver's timer, so that it is dropped on time even if
    /// nobody sends to it again.
    func refusedFrame(timeout: Double) {
        guard timeout > 0 else { return }
        let (since, arm): (UInt64?, Bool) = outbound.withLock { state in
            defer { if state.fullSince != nil { state.slowConsumerCheckArmed = true } }
            return (state.fullSince, !state.slowConsumerCheckArmed)
        }
        guard let since else { return }
        let stuck = Double(Self.uptime() - since) / 1e9
        if stuck > timeout {
            queue.async { [self] in
                guard case .registered = phase else { return }
                failSlowConsumer(timeout: timeout)
            }
        } else if arm {
            queue.async { [self] in armTimer(notAfter: timeout - stuck + 0.001) }
        }
    }

    /// How long this connection's queue has been full without a batch of it being written: since
    /// a sender was first refused, or since reading paused at the bound. Nil when it is not full.
    func secondsFull() -> Double? {
        guard let since = outbound.withLock({ $0.fullSince }) else { return nil }
        return Double(Self.uptime() - since) / 1e9
    }

    /// ERROR `slow consumer` behind what is queued, and the close once it is written.
    func failSlowConsumer(timeout: Double) {
        fail(.slowConsumer, text: "the outbound queue stayed full for more than slow_consumer_timeout (\(timeout) s)")
    }

    /// Queues a frame this connection sends about itself (handshake, replies, errors) and flushes it
    /// at the end of the current batch. Once the queue reaches the outbound bound the decoder
    /// pauses after the frame being handled, so answers overshoot the bound by at most one
    /// frame's worth; a queue at twice the bound means a peer that cannot be paused, and is
    /// disconnected.
    func sendToSelf(_ frame: [UInt8]) {
        let bound = limits.maxOutboundBytes
        let (outcome, queuedBytes) = outbound.withLock { state in
            (state.append(frameLength: frame.count, bound: 2 * bound, now: Self.uptime) { $0.append(contentsOf: frame) }, state.queuedBytes)
        }
        switch outcome {
        case .queued, .queuedNeedsFlush:
            pendingFlushes.append(self)
            if queuedBytes >= bound { answersAtBound = true }
        case .full:
            teardown(reason: "does not read its replies (outbound queue over \(2 * limits.maxOutboundBytes) bytes)", level: .warning)
        case .closed:
            break
        }
    }

    func scheduleFlush() {
        queue.async { [self] in flush() }
    }

    /// Writes queued frames until done or the socket is full. For TLS, the batch taken is
    /// encrypted together with any records the session made on its own (handshake, alerts).
    func flush() {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        guard !tornDown, !peerGone else { return }
        while true {
            if inflightOffset == inflight.count {
                guard takeNextBatch() else { return }
            }
            let result = inflight.withUnsafeBytes { SocketIO.write(fd, UnsafeRawBufferPointer(rebasing: $0[inflightOffset...])) }
            switch result {
            case .transferred(let count):
                inflightOffset += count
            case .wouldBlock:
                awaitingRoom = true
                expectRoom(true)
                return
            case .endOfFile, .failed:
                peerWentAway()
                return
            }
        }
    }

    /// Counts the batch just written as done and takes the queued frames (and the TLS session's
    /// own records) as the next one. Returns false when there is nothing to write, or a sender
    /// writing directly holds the socket (it schedules a flush for what it leaves).
    private func takeNextBatch() -> Bool {
        // This queue is the writer while it has a batch; a sender may be while it has none.
        let heldWriting = !inflight.isEmpty
        let written = inflightPlainBytes
        if inflight.capacity > 65_536 { inflight = [] } else { inflight.removeAll(keepingCapacity: true) }
        inflightOffset = 0
        inflightPlainBytes = 0
        var resumeReading = false
        let taken: Int? = outbound.withLock { state in
            if !heldWriting && state.writing {
                state.flushScheduled = false
                return nil
            }
            state.queuedBytes -= written
            state.queuedFrames -= inflightFrames
            if let below = state.resumeReadingBelow, state.queuedBytes < below {
                state.resumeReadingBelow = nil
                resumeReading = true
            }
            swap(&state.pending, &inflight)
            state.writing = !inflight.isEmpty || tls?.hasOutput == true
            if !state.writing { state.flushScheduled = false }
            if written > 0 { state.fullSince = nil }
            defer { state.pendingFrames = 0 }
            return state.writing ? state.pendingFrames : 0
        }
        if resumeReading, let registration { ReadinessPoller.shared.wake(registration) }
        guard let taken else { return false }
        inflightFrames = taken
        inflightPlainBytes = inflight.count
        if let tls, !inflight.isEmpty || tls.hasOutput {
            do {
                try tls.seal(&inflight)
            } catch {
                teardown(reason: "\(error)", level: .warning)
                return false
            }
            // Only the writer takes the session's records, so what it saw waiting is still there.
            assert(!inflight.isEmpty, "the TLS session's records were taken by another writer")
        }
        if inflight.isEmpty {
            flushCompleted()
            return false
        }
        return true
    }

    /// Everything queued is written: a closing connection can go now.
    func flushCompleted() {
        if isClosing { teardown(reason: closeReason ?? "closed", level: .debug) }
    }

    /// Stops reading while this connection's own queue is at the outbound bound: a peer that
    /// sends faster than it reads the broker's answers (errors, ACKs) or its deliveries is slowed
    /// down by its socket filling, instead of being disconnected when its answers pile up. The
    /// flush that takes the queue below the bound starts reading again; a peer that reads nothing
    /// for `slow_consumer_timeout` meanwhile is disconnected as a slow consumer.
    func pauseReadingIfBacklogged() -> Bool {
        let bound = limits.maxOutboundBytes
        let pausing: Bool? = outbound.withLock { state in
            guard state.queuedBytes >= bound else { return nil }
            defer { state.resumeReadingBelow = bound }
            if state.fullSince == nil { state.fullSince = Self.uptime() }
            return state.resumeReadingBelow == nil
        }
        guard let pausing else { return false }
        if pausing, limits.slowConsumerTimeout > 0 { armTimer(notAfter: limits.slowConsumerTimeout) }
        return true
    }
}
