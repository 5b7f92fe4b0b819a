import Glibc
import MPRelayPOSIX
import MPRelayProtocol

extension NATSLink {
    /// Whether the server has sent bytes this link has not read, waiting up to `milliseconds`.
    func isReadable(within milliseconds: Int32) throws(BenchError) -> Bool {
        var descriptors = [pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)]
        do {
            return try SystemCall.poll(&descriptors, timeout: milliseconds) > 0
        } catch {
            throw BenchError(.io, "nats: \(error)")
        }
    }

    /// Waits until messages `sender` publishes to `receiver`'s subjects reach it, at most
    /// `seconds`: when the two are on different servers of a cluster, a subscription is known
    /// to the sender's server only once the receiver's server has forwarded it over their route,
    /// and until then the sender's messages are dropped for want of interest.
    ///
    /// Publishes numbered probes to the subject `receiver` subscribed to last (a route forwards
    /// interest in order, so its arrival means every earlier subscription is known too) until one
    /// arrives, then reads until the last probe sent has arrived too: nothing of the probes is
    /// left for the run to read.
    ///
    /// - Throws: ``BenchError`` `.timedOut` when no probe arrives in time, or what the links throw.
    static func waitForInterest(from sender: NATSLink, to receiver: NATSLink, name: PeerName, seconds: Double = 10) throws(BenchError) {
        let subject = try receiver.layout.lastSubscribed(by: name)
        let probe = PayloadStamp.makeBuffer(size: PayloadStamp.minimumSize)
        defer { probe.deallocate() }
        let deadline = MonotonicClock.deadline(after: seconds)
        var sent: UInt64 = 0
        var arrived: UInt64?
        while arrived.map({ $0 + 1 < sent }) ?? true {
            if arrived == nil {
                PayloadStamp.stamp(probe, stream: 0, sequence: sent)
                sender.publish(UnsafeRawBufferPointer(probe), to: subject)
                try sender.flush()
                sent += 1
            }
            guard try receiver.isReadable(within: 10) else {
                guard MonotonicClock.now() < deadline else {
                    throw BenchError(.timedOut, "nats: no message to \(subject) reached its subscriber within \(seconds) s (\(sent) probes sent)")
                }
                continue
            }
            try receiver.receive { payload in
                if let (_, sequence) = PayloadStamp.read(payload) { arrived = max(arrived ?? 0, sequence) }
            }
        }
    }
}
