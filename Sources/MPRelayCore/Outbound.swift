/// A connection's queue of frames waiting to be written, shared by every sender.
///
/// Senders append whole frames under the connection's lock from their own queues; the owner
/// swaps the batch out and writes it from its queue. The bound is in bytes: a frame that does not
/// fit is refused, never dropped silently and never queued past the bound.
public struct Outbound: ~Copyable, Sendable {
    /// An empty, open queue.
    public init() {}

    /// Frames not yet handed to the writer.
    public var pending: [UInt8] = []
    /// Bytes queued: `pending` plus the batch being written.
    public var queuedBytes = 0
    /// Frames queued: reserved by senders, in `pending`, and in the batch being written.
    public var queuedFrames = 0
    /// Frames in `pending` alone.
    public var pendingFrames = 0
    /// Frames ever queued, for the control socket.
    public var totalFrames = 0
    /// Bytes ever queued, for the control socket.
    public var totalBytes = 0
    /// Set once the connection closes: every later append fails.
    public var closed = false
    /// Whether a flush is already scheduled on the owner's queue.
    public var flushScheduled = false
    /// Whether some thread is writing this connection's socket now: its own queue (while it has
    /// a partly written batch) or a sender writing directly. One writer at a time keeps order.
    public var writing = false
    /// Holders of the file descriptor: the connection itself (one hold, given up at teardown)
    /// and senders writing directly. Whoever drops it to zero closes it.
    public var descriptorHolds = 1
    /// Set while the connection has stopped reading from its peer because this queue reached its
    /// bound: reading resumes once the queue is below this many bytes again.
    public var resumeReadingBelow: Int?
    /// When (uptime nanoseconds) a frame was first refused for want of room since the receiver
    /// last finished writing a batch: how long it has been stuck.
    public var fullSince: UInt64? {
        didSet { if fullSince == nil { slowConsumerCheckArmed = false } }
    }
    /// Whether the owner's timer is set to check, at `slow_consumer_timeout`, whether it is still
    /// stuck since ``fullSince``.
    public var slowConsumerCheckArmed = false

    /// Closes the queue and drops what it holds: every later append and commit fails with
    /// ``AppendOutcome/closed``.
    public mutating func close() {
        closed = true
        pending = []
        queuedBytes = 0
    }

    /// What ``append(frameLength:bound:maxFrames:now:_:)`` did.
    public enum AppendOutcome: Equatable, Sendable {
        /// Queued; a flush was already scheduled.
        case queued
        /// Queued, and the caller must schedule a flush on the owner's queue.
        case queuedNeedsFlush
        /// Not queued: it would take the queue over `bound`.
        case full
        /// Not queued: the connection is closed.
        case closed
    }

    /// Appends one frame of `frameLength` bytes, written by `write`, unless it would take the queue
    /// over `bound` bytes or `maxFrames` frames.
    /// `now` gives the monotonic time in nanoseconds, asked only when the frame is refused.
    @inlinable
    public mutating func append(
        frameLength: Int,
        bound: Int,
        maxFrames: Int = .max,
        now: () -> UInt64,
        _ write: (inout [UInt8]) -> Void
    ) -> AppendOutcome {
        if closed { return .closed }
        if queuedBytes + frameLength > bound || queuedFrames >= maxFrames {
            if fullSince == nil { fullSince = now() }
            return .full
        }
        write(&pending)
        queuedBytes += frameLength
        queuedFrames += 1
        pendingFrames += 1
        totalFrames += 1
        totalBytes += frameLength
        if flushScheduled { return .queued }
        flushScheduled = true
        return .queuedNeedsFlush
    }

    /// What ``reserve(bytes:minimum:frames:bound:maxFrames:now:)`` granted.
    public enum Reservation: Equatable, Sendable {
        /// Room for this many bytes and frames is set aside for one sender.
        case granted(bytes: Int, frames: Int)
        /// Not even `minimum` bytes (or one frame) fit.
        case full
        /// The connection is closed.
        case closed
    }

    /// Sets aside room for a sender to fill without taking this lock per frame: up to `wanted`
    /// bytes (at least `minimum`) and `frames` frames, counted as queued until committed.
    /// `now` gives the monotonic time in nanoseconds, asked only when nothing is granted.
    @inlinable
    public mutating func reserve(bytes wanted: Int, minimum: Int, frames: Int, bound: Int, maxFrames: Int, now: () -> UInt64) -> Reservation {
        if closed { return .closed }
        let room = bound - queuedBytes
        let frameRoom = maxFrames - queuedFrames
        guard room >= minimum, frameRoom >= 1 else {
            if fullSince == nil { fullSince = now() }
            return .full
        }
        let bytes = min(room, max(wanted, minimum))
        let granted = min(frameRoom, frames)
        queuedBytes += bytes
        queuedFrames += granted
        return .granted(bytes: bytes, frames: granted)
    }

    /// Queues `count` staged frames written into `staged` under a reservation, and gives back
    /// the part of the reservation they did not use.
    @inlinable
    public mutating func commit(_ staged: [UInt8], count: Int, reservedBytes: Int, reservedFrames: Int) -> AppendOutcome {
        if closed { return .closed }
        pending.append(contentsOf: staged)
        queuedBytes += staged.count - reservedBytes
        queuedFrames += count - reservedFrames
        pendingFrames += count
        totalFrames += count
        totalBytes += staged.count
        if flushScheduled { return .queued }
        flushScheduled = true
        return .queuedNeedsFlush
    }
}
