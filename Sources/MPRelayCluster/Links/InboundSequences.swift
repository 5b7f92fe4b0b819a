/// The numbers of the deliveries other nodes published to this one: the receiving half of the
/// numbering ``LinkAcknowledgement`` describes.
///
/// ``arrived(from:epoch:sequences:refused:now:)`` notes each frame's deliveries and those of
/// them that could not be queued; a number that skips ahead marks the ones between as lost.
/// ``acknowledgements(now:)`` gives what to send back: right away for the senders heard from
/// since the last call, and again every ``repeatInterval`` while their last change is younger
/// than ``repeatWindow``, so that an acknowledgement lost with a NATS server (and the refusals
/// it carries) is made good before the sender gives up on its deliveries.
///
/// Pure: the caller serialises the calls, gives the time, and publishes.
public struct InboundSequences: Sendable {
    private struct Source: Sendable {
        /// The sending run the numbers belong to.
        var epoch: UInt64
        /// The highest number seen.
        var highest: UInt64 = 0
        /// Lost runs of numbers and when each was found, oldest first.
        var lost: [(range: ClosedRange<UInt64>, foundAt: UInt64)] = []
        /// Refused runs of numbers and when each last grew, oldest first.
        var refused: [(run: RefusedDeliveries, foundAt: UInt64)] = []
        /// Refused runs begun since the last acknowledgement given.
        var unsentRefusedRuns = 0
        /// When ``highest`` or ``lost`` last changed.
        var changedAt: UInt64 = 0
        /// When an acknowledgement was last given, or nil if the last change was not
        /// acknowledged yet.
        var acknowledgedAt: UInt64?
    }

    /// This node, which the acknowledgements come from.
    public let node: String
    /// Nanoseconds after a change during which its acknowledgement is repeated.
    public let repeatWindow: UInt64
    /// Nanoseconds between repeats.
    public let repeatInterval: UInt64
    private var sources: [String: Source] = [:]

    /// No deliveries seen yet, by `node`; acknowledgements repeated every `repeatInterval`
    /// for `repeatWindow` after each change (nanoseconds).
    public init(node: String, repeatWindow: UInt64, repeatInterval: UInt64) {
        self.node = node
        self.repeatWindow = repeatWindow
        self.repeatInterval = repeatInterval
    }

    /// What an arrival leaves owing.
    public enum Owing: Equatable, Sendable {
        /// Nothing new, or an acknowledgement already owed.
        case nothing
        /// An acknowledgement, where none was owed: send it after a short delay, which lets it
        /// cover the deliveries that follow.
        case acknowledgement
        /// An acknowledgement at once: its sender's refused runs fill half of what one can
        /// carry, and more could push the oldest out before they were sent.
        case urgentAcknowledgement
    }

    /// Notes deliveries `sequences` of run `epoch` of `sender` (one frame's), arrived at `now`,
    /// of which those in `refused` (ascending, within `sequences`) could not be queued. Returns
    /// what that leaves owing (the caller schedules ``acknowledgements(now:)`` then).
    public mutating func arrived(from sender: String, epoch: UInt64, sequences: ClosedRange<UInt64>, refused: [RefusedDeliveries] = [], now: UInt64) -> Owing {
        var source = sources[sender].flatMap { $0.epoch == epoch ? $0 : nil } ?? Source(epoch: epoch)
        // Numbers at or below the highest are deliveries NATS handed over twice or late:
        // nothing is learnt from them.
        guard sequences.upperBound > source.highest else { return .nothing }
        if sequences.lowerBound > source.highest + 1 {
            source.lost.append((source.highest + 1...sequences.lowerBound - 1, now))
            if source.lost.count > LinkAcknowledgement.maxLostRanges { source.lost.removeFirst() }
        }
        for run in refused where run.sequences.lowerBound > source.highest {
            if let merged = source.refused.last?.run.extended(by: run) {
                source.refused[source.refused.count - 1] = (merged, now)
            } else {
                source.refused.append((run, now))
                source.unsentRefusedRuns += 1
                if source.refused.count > LinkAcknowledgement.maxRefusedRuns { source.refused.removeFirst() }
            }
        }
        source.highest = sequences.upperBound
        source.changedAt = now
        let owing = source.acknowledgedAt != nil || sources[sender]?.epoch != epoch
        let urgent = source.unsentRefusedRuns > LinkAcknowledgement.maxRefusedRuns / 2
        source.acknowledgedAt = nil
        sources[sender] = source
        return urgent ? .urgentAcknowledgement : owing ? .acknowledgement : .nothing
    }

    /// The acknowledgements due at `now`, each with the node to send it to, and when the next
    /// repeat falls due (nil: none, until deliveries arrive).
    public mutating func acknowledgements(now: UInt64) -> (due: [(node: String, acknowledgement: LinkAcknowledgement)], nextRepeat: UInt64?) {
        var due: [(node: String, acknowledgement: LinkAcknowledgement)] = []
        var nextRepeat: UInt64?
        for sender in sources.keys.sorted() {
            var source = sources[sender]!
            source.lost.removeAll { now &- $0.foundAt > repeatWindow }
            source.refused.removeAll { now &- $0.foundAt > repeatWindow }
            let fresh = now &- source.changedAt <= repeatWindow
            let owing = source.acknowledgedAt.map { fresh && now &- $0 >= repeatInterval } ?? true
            if owing {
                due.append((sender, LinkAcknowledgement(receiverNode: node, epoch: source.epoch, through: source.highest, lost: source.lost.map(\.range), refused: source.refused.map(\.run))))
                source.acknowledgedAt = now
                source.unsentRefusedRuns = 0
            }
            if fresh {
                let next = source.acknowledgedAt! &+ repeatInterval
                nextRepeat = min(nextRepeat ?? next, next)
            }
            sources[sender] = source
        }
        return (due, nextRepeat)
    }
}
