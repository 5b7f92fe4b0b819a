/// The receiving end of one ordered stream: counts what arrived against what was sent.
///
/// Within one sender-receiver pair the broker promises order, so a sequence number above the
/// expected one means messages were lost, and one below means a duplicate or a reordering.
struct SequenceCheck: Sendable {
    /// The stream index stamped in every payload of this stream.
    let stream: Int
    /// Messages the sender will send.
    let expected: Int
    /// The payload size every message must have.
    let size: Int

    private(set) var received = 0
    private(set) var lost = 0
    private(set) var reordered = 0
    private(set) var bad = 0
    private var next: UInt64 = 0

    init(stream: Int, expected: Int, size: Int) {
        self.stream = stream
        self.expected = expected
        self.size = size
    }

    /// Whether the last sequence number has arrived (or something is wrong enough to stop waiting).
    var finished: Bool { next >= UInt64(expected) }

    /// Messages that never arrived, once the run is over.
    var missing: Int { max(0, expected - received - bad) }

    /// Messages that arrived or are known lost: the sender's in-flight count is sent minus this.
    var accounted: Int { received + lost + bad }

    /// Whether everything arrived once, in order and intact.
    var clean: Bool { received == expected && lost == 0 && reordered == 0 && bad == 0 }

    /// Checks one delivered payload.
    mutating func accept(_ payload: UnsafeRawBufferPointer) {
        guard payload.count == size, let (stream, sequence) = PayloadStamp.read(payload), stream == self.stream else {
            bad += 1
            return
        }
        received += 1
        if sequence == next {
            next += 1
        } else if sequence > next {
            lost += Int(sequence - next)
            next = sequence + 1
        } else {
            reordered += 1
        }
    }
}
