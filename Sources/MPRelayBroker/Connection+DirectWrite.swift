import Dispatch
import Glibc
import Logging
import MPRelayCore
import MPRelayPOSIX
import MPRelayTLS
import Synchronization

extension Connection {
    /// Writes this connection's queued frames from the calling sender's thread when nobody else
    /// is writing or feeding them, which saves a hop through this connection's queue (a wake-up per batch,
    /// most of a round trip's latency). Order holds because only one writer runs at a time and a
    /// partly written batch is handed to this connection's queue before anything after it. For
    /// TLS the sender encrypts the batch itself, under the session's lock
    /// (``SharedTLSSession/seal(_:)``), and leaves records the session made meanwhile on its own
    /// to a flush by this connection's queue.
    ///
    /// - Parameter spare: the caller's empty buffer, swapped with the queued frames.
    /// - Returns: false when it wrote nothing and the caller must schedule a flush instead.
    func writeDirectly(using spare: inout [UInt8]) -> Bool {
        var frames = 0
        let taken = outbound.withLock { state in
            // Only for a receiver nobody else is feeding right now (no other sender's reservation):
            // with many senders, small direct writes from each would cost more than one batch
            // written by the receiver's own queue.
            guard !state.closed, !state.writing, !state.pending.isEmpty, state.queuedBytes == state.pending.count else {
                return false
            }
            state.writing = true
            state.flushScheduled = false
            state.descriptorHolds += 1
            swap(&state.pending, &spare)
            frames = state.pendingFrames
            state.pendingFrames = 0
            return true
        }
        guard taken else { return false }
        let plainBytes = spare.count
        var sealFailure: TLSError?
        if let tls {
            do {
                try tls.seal(&spare)
            } catch {
                sealFailure = error
            }
        }
        var offset = 0
        var failed = sealFailure != nil
        writing: while !failed && offset < spare.count {
            switch spare.withUnsafeBytes({ SocketIO.write(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
            case .transferred(let count): offset += count
            case .wouldBlock: break writing
            case .endOfFile, .failed:
                failed = true
                break writing
            }
        }
        let complete = !failed && offset == spare.count
        let (closeDescriptor, scheduleFollowUp) = outbound.withLock { state in
            state.descriptorHolds -= 1
            if !state.closed {
                if complete {
                    state.queuedBytes -= plainBytes
                    state.queuedFrames -= frames
                    state.fullSince = nil
                } else if tls == nil {
                    state.queuedBytes -= offset
                }
            }
            let handOver = !complete && !failed && !state.closed
            if !handOver { state.writing = false }
            // The receiver's own flush restarts its reading once its queue is below the bound,
            // and sends the records its TLS session made while this sender was writing.
            let mayResume = state.resumeReadingBelow.map { state.queuedBytes < $0 } ?? false
            let leftOver = (!state.pending.isEmpty && !state.flushScheduled) || tls?.hasOutput == true
            let followUp = !handOver && !state.closed && (failed || mayResume || leftOver)
            if followUp { state.flushScheduled = true }
            return (state.descriptorHolds == 0, followUp)
        }
        if closeDescriptor { close(fd) }
        if let sealFailure {
            queue.async { [self] in teardown(reason: "\(sealFailure)", level: .warning) }
        } else if !complete && !failed && !closeDescriptor {
            let remainder = Array(spare[offset...])
            // What the remainder stands for in the queue: its length, or for TLS the whole batch's
            // plaintext, which is counted as written only once its last record is.
            let stillQueued = tls == nil ? remainder.count : plainBytes
            queue.async { [self, frames] in adoptPartialBatch(remainder, frames: frames, plainBytes: stillQueued) }
        }
        if scheduleFollowUp { scheduleFlush() }
        if spare.capacity > 262_144 { spare = [] } else { spare.removeAll(keepingCapacity: true) }
        return true
    }

    /// Takes over a batch a sender could only partly write, as this queue's own batch in flight.
    private func adoptPartialBatch(_ remainder: [UInt8], frames: Int, plainBytes: Int) {
        dispatchPrecondition(condition: .onQueue(queue.dispatchQueue))
        guard !tornDown else { return }
        inflight = remainder
        inflightOffset = 0
        inflightFrames = frames
        inflightPlainBytes = plainBytes
        flush()
    }
}
