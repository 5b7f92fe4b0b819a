import Benchmark
import MPRelayCore
import MPRelayProtocol

// Every benchmark handles 1000 messages per iteration and declares `scalingFactor: .kilo`, so
// package-benchmark reports time and allocations per message. State that the broker keeps across
// reads (decoder, outbound buffer, route cache) is made once, outside the measured iterations:
// what is measured is the steady state.

/// Messages per iteration: the `.kilo` scaling factor.
private let messagesPerIteration = 1000
/// The payload of the throughput workload's small-message case.
private let payloadSize = 64

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    let fixture = FrameFixture(count: messagesPerIteration, payloadSize: payloadSize)

    // MARK: Framing

    var decoder = FrameDecoder(maxBodyLength: 16 * 1024 * 1024 + Envelope.maxHeaderLength)
    Benchmark("FrameDecoder.feed: 1000 SEND frames in one read") { _ in
        var bodies = 0
        fixture.frames.withUnsafeBytes { bytes in
            try? decoder.feed(bytes) { body in
                bodies &+= body.count
                return .proceed
            }
        }
        blackHole(bodies)
    }

    Benchmark("FrameDecoder.feed: the same frames in 1500-byte reads") { _ in
        var bodies = 0
        fixture.frames.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + 1500, bytes.count)
                try? decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) { body in
                    bodies &+= body.count
                    return .proceed
                }
                offset = end
            }
        }
        blackHole(bodies)
    }

    // MARK: Envelopes

    Benchmark("MessageView.init: read a SEND in place") { _ in
        var total = 0
        fixture.forEachBody { body in
            if let view = try? MessageView(body) { total &+= view.payload.count &+ view.peer.count }
        }
        blackHole(total)
    }

    Benchmark("Envelope(decoding:): decode a SEND into a value") { _ in
        var total = 0
        fixture.forEachBody { body in
            if case .send(let message)? = try? Envelope(decoding: body) { total &+= message.payload.count }
        }
        blackHole(total)
    }

    let envelope = Envelope.send(Message(peer: FrameFixture.destination, payload: fixture.payload))
    var encoded: [UInt8] = []
    Benchmark("Envelope.appendFrame: encode a SEND into a reused buffer") { _ in
        encoded.removeAll(keepingCapacity: true)
        for _ in 0..<messagesPerIteration { envelope.appendFrame(to: &encoded) }
        blackHole(encoded.count)
    }

    var outbound: [UInt8] = []
    Benchmark("MessageView.appendFrame: write a DELIVER into a reused buffer") { _ in
        outbound.removeAll(keepingCapacity: true)
        FrameFixture.sender.bytes.withUnsafeBytes { sender in
            fixture.payload.withUnsafeBytes { payload in
                for index in 0..<messagesPerIteration {
                    MessageView.appendFrame(
                        kind: .deliver,
                        options: [],
                        flags: 0,
                        correlationID: UInt64(index),
                        peer: sender,
                        payload: payload,
                        to: &outbound
                    )
                }
            }
        }
        blackHole(outbound.count)
    }

    // MARK: Routing

    let registry = Receiver.registry(count: 1000)
    Benchmark("Route lookup by bytes: PeerRegistry.lookup, PeerName(validating:) under its Mutex") { _ in
        var found = 0
        fixture.forEachBody { body in
            if let view = try? MessageView(body), let receiver = registry.lookup(view.peer) { found &+= receiver.index }
        }
        blackHole(found)
    }

    var router = Receiver.router(over: registry)
    Benchmark("Route cache hit: SendRouter.decide, memcmp against the last destination") { _ in
        var found = 0
        fixture.forEachBody { body in
            if let view = try? MessageView(body), let receiver = route(view, with: &router) { found &+= receiver.index }
        }
        blackHole(found)
    }

    // MARK: The relay path without sockets

    Benchmark("Relay path: decode, view, cached route, DELIVER append (one receiver)") { _ in
        relay(fixture, decoder: &decoder, router: &router, outbound: &outbound)
    }

    let alternating = FrameFixture(
        count: messagesPerIteration,
        payloadSize: payloadSize,
        destinations: ["worker-1", "worker-2"]
    )
    Benchmark("Relay path: sender alternating between two receivers") { _ in
        relay(alternating, decoder: &decoder, router: &router, outbound: &outbound)
    }

    let roundRobin = FrameFixture(
        count: messagesPerIteration,
        payloadSize: payloadSize,
        destinations: (0..<100).map { index in
            do { return try PeerName("worker-\(index)") } catch { preconditionFailure("\(error)") }
        }
    )
    Benchmark("Relay path: sender round-robining over 100 receivers") { _ in
        relay(roundRobin, decoder: &decoder, router: &router, outbound: &outbound)
    }
}

/// The receiver the core's router picks for `view`, or nil for any refusal.
private func route(_ view: MessageView, with router: inout SendRouter<Receiver>) -> Receiver? {
    guard case .route(.local(let receiver)) = router.decide(destination: view.peer, payloadLength: view.payload.count, limits: benchmarkLimits) else {
        return nil
    }
    return receiver
}

/// What the broker does per SEND between `recv` and the receiver's write batch: frame, view,
/// the core's routing decision, one copy of the payload into a DELIVER. Sockets, locks between
/// connections and statistics are left out.
private func relay(_ fixture: FrameFixture, decoder: inout FrameDecoder, router: inout SendRouter<Receiver>, outbound: inout [UInt8]) {
    outbound.removeAll(keepingCapacity: true)
    FrameFixture.sender.bytes.withUnsafeBytes { sender in
        fixture.frames.withUnsafeBytes { bytes in
            try? decoder.feed(bytes) { body in
                guard let view = try? MessageView(body), route(view, with: &router) != nil else { return .stop }
                MessageView.appendFrame(
                    kind: .deliver,
                    options: view.options.intersection(.forwarded),
                    flags: view.flags,
                    correlationID: view.correlationID,
                    peer: sender,
                    payload: view.payload,
                    to: &outbound
                )
                return .proceed
            }
        }
    }
    blackHole(outbound.count)
}
