import MPRelayProtocol

/// Wire bytes the benchmarks read and write: a read's worth of SEND frames, and where each
/// frame's body lies in it.
struct FrameFixture {
    /// The destination every SEND names (a typical `worker-N` peer name).
    static let destination: PeerName = "worker-1"
    /// The sender's registered name, stamped into each DELIVER.
    static let sender: PeerName = "client-1"

    /// `count` SEND frames back to back, as one `recv` would return them.
    let frames: [UInt8]
    /// The start and length of each frame's body in ``frames``.
    let bodies: [(start: Int, count: Int)]
    /// One payload of the benchmark's size.
    let payload: [UInt8]

    /// Frames of `payloadSize`-byte payloads, each to `destinations[i % destinations.count]`.
    init(count: Int, payloadSize: Int, destinations: [PeerName] = [Self.destination]) {
        let payload = [UInt8](repeating: 0x5A, count: payloadSize)
        var frames: [UInt8] = []
        var bodies: [(start: Int, count: Int)] = []
        for index in 0..<count {
            let before = frames.count
            destinations[index % destinations.count].bytes.withUnsafeBytes { name in
                payload.withUnsafeBytes { body in
                    MessageView.appendFrame(
                        kind: .send,
                        options: [],
                        flags: 0,
                        correlationID: UInt64(index),
                        peer: name,
                        payload: body,
                        to: &frames
                    )
                }
            }
            bodies.append((before + 4, frames.count - before - 4))
        }
        self.frames = frames
        self.bodies = bodies
        self.payload = payload
    }

    /// Calls `body` with each frame body in turn, in place.
    func forEachBody(_ body: (UnsafeRawBufferPointer) -> Void) {
        frames.withUnsafeBytes { all in
            for (start, count) in bodies {
                body(UnsafeRawBufferPointer(rebasing: all[start..<(start + count)]))
            }
        }
    }
}
