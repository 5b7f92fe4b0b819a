/// DELIVER frames a sender has written for one receiver under a reservation and not yet handed
/// over: one lock to reserve room and one to commit serve many messages, instead of one lock
/// per message on a receiver that other senders contend for. Confined to the sender's queue;
/// its buffers are reused, so the steady state does not allocate.
public struct DeliveryStaging<Receiver: AnyObject> {
    /// Nothing staged, nothing reserved.
    public init() {}

    /// The receiver the reservation is with; nil when nothing is reserved.
    public var receiver: Receiver?
    /// The receiver's name, for errors about staged messages.
    public var destination: [UInt8] = []
    /// Whole frames, ready to append to the receiver's queue.
    public var frames: [UInt8] = []
    /// The correlation ids of the staged messages, in order.
    public var ids: [UInt64] = []
    /// The ids of staged messages whose sender asked for an ACK.
    public var confirmations: [UInt64] = []
    /// Payload bytes staged, for the relay counters.
    public var payloadBytes = 0
    /// Bytes reserved in the receiver's queue, staged or not.
    public var reservedBytes = 0
    /// Frames reserved in the receiver's queue, staged or not.
    public var reservedFrames = 0

    /// Whether a frame of `length` bytes fits what is reserved.
    @inlinable
    public func fits(_ length: Int) -> Bool {
        receiver != nil && frames.count + length <= reservedBytes && ids.count < reservedFrames
    }

    /// Forgets what was staged, keeping the buffers' capacity.
    @inlinable
    public mutating func reset() {
        receiver = nil
        frames.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        confirmations.removeAll(keepingCapacity: true)
        payloadBytes = 0
        reservedBytes = 0
        reservedFrames = 0
    }

    /// How much to reserve for a frame of `length` bytes: room for a run of such frames, but at
    /// most a quarter of the receiver's bound so that other senders are not shut out.
    @inlinable
    public static func reservation(for length: Int, bound: Int) -> Int {
        min(max(length, min(length * 32, bound / 4)), 256 * 1024)
    }

    /// Frames reserved at once.
    public static var framesPerReservation: Int { 256 }

    /// Frames of this many bytes or more skip staging: the sender writes them straight into the
    /// receiver's queue, which saves copying their payload a second time.
    public static var largeFrameLength: Int { 2048 }
}
