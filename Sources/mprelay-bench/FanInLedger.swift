/// The receiving end of a fan-in: which message of which sender has arrived, exactly once.
///
/// Retries after "peer busy" reorder a sender's messages, so this keeps a bit per message instead
/// of an expected next number.
struct FanInLedger: Sendable {
    let senders: Int
    let count: Int
    let size: Int
    private var seen: [UInt64]
    private var highest: [Int]

    private(set) var delivered = 0
    private(set) var unique = 0
    private(set) var duplicates = 0
    /// Messages that arrived after a later one from the same sender (retries do this).
    private(set) var outOfOrder = 0
    /// Payloads too short, cut, or with a sender index out of range.
    private(set) var bad = 0
    /// DELIVERs whose stamped sender name is not the one that sent the payload.
    private(set) var misattributed = 0

    init(senders: Int, count: Int, size: Int) {
        self.senders = senders
        self.count = count
        self.size = size
        seen = [UInt64](repeating: 0, count: (senders * count + 63) / 64)
        highest = [Int](repeating: -1, count: senders)
    }

    /// Every message has arrived.
    var complete: Bool { unique == senders * count }

    /// Messages that never arrived.
    var lost: Int { senders * count - unique }

    /// Records one DELIVER from `sender` (its stamped name) with `payload`; `names[i]` is sender i's name.
    mutating func accept(sender: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, names: [[UInt8]]) {
        delivered += 1
        guard payload.count == size, let (stream, sequence) = PayloadStamp.read(payload),
            stream < senders, sequence < UInt64(count)
        else {
            bad += 1
            return
        }
        let stamped = names[stream].withUnsafeBytes { $0.elementsEqual(sender) }
        if !stamped { misattributed += 1 }
        let bit = stream * count + Int(sequence)
        let mask = UInt64(1) << UInt64(bit % 64)
        if seen[bit / 64] & mask != 0 {
            duplicates += 1
            return
        }
        seen[bit / 64] |= mask
        unique += 1
        if Int(sequence) < highest[stream] { outOfOrder += 1 } else { highest[stream] = Int(sequence) }
    }
}
