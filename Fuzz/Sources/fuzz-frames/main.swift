import FuzzSupport
import MPRelayProtocol

// Feeds a byte stream to FrameDecoder in chunks, as reads off a socket would deliver it, and checks
// the frames it hands out against a one-pass reference parser of the whole stream.
//
// Input layout: [chunking] [limit] [directives] [new limit] stream...
// - chunking: 0 feeds the stream at once; otherwise chunk sizes of 1 to (chunking % 32) + 1 bytes
//   drawn from a generator seeded with it.
// - limit: the body limit, 0 to 254 bytes; 255 means 256, the handshake's limit.
// - directives: the handler stops the decoder after frame (directives >> 4), and switches to
//   the new limit (times 4) after frame (directives & 0x0F), as the broker does when the handshake
//   ends; 0 means never.
//
// Invariants: the same frames, in the same order, and the same ending (error, stop, or the
// bytes left buffered) as the reference, however the stream is chunked; no frame over the limit
// in force; never more than one frame's worth of bytes buffered.

/// How a stream ends for the decoder.
private enum Ending: Equatable {
    case consumed
    case incomplete(buffered: Int)
    case stopped
    case failed(FrameError)
}

private struct Directives {
    let stopAfter: Int
    let changeAfter: Int
    let newLimit: Int
    /// Pause after every this-many frames; 0: never. A pause hands out nothing differently: the
    /// driver resumes with empty feeds, so the reference treats it as proceed.
    let pauseEvery: Int

    /// What the handler answers after the `index`-th frame (1-based).
    func after(frame index: Int) -> FrameDecoder.Directive {
        if index == stopAfter { return .stop }
        if index == changeAfter { return .changeLimit(newLimit) }
        if pauseEvery > 0 && index % pauseEvery == 0 { return .pause }
        return .proceed
    }
}

/// The framing rules of `multiprocessing.connection`, applied to the whole stream in one pass.
private func referenceFrames(_ stream: [UInt8], limit initialLimit: Int, _ directives: Directives) -> ([[UInt8]], Ending) {
    func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
    var frames: [[UInt8]] = []
    var limit = initialLimit
    var offset = 0
    while offset < stream.count {
        let available = stream.count - offset
        guard available >= 4 else { return (frames, .incomplete(buffered: available)) }
        let short = Int32(bitPattern: UInt32(bigEndian(stream[offset..<(offset + 4)])))
        let header: Int
        let body: Int
        if short >= 0 {
            guard Int(short) <= limit else { return (frames, .failed(.tooLarge(announced: UInt64(short), limit: limit))) }
            (header, body) = (4, Int(short))
        } else if short == -1 {
            guard available >= 12 else { return (frames, .incomplete(buffered: available)) }
            let long = bigEndian(stream[(offset + 4)..<(offset + 12)])
            guard long <= UInt64(limit) else { return (frames, .failed(.tooLarge(announced: long, limit: limit))) }
            (header, body) = (12, Int(long))
        } else {
            return (frames, .failed(.negativeLength(short)))
        }
        guard available >= header + body else { return (frames, .incomplete(buffered: available)) }
        frames.append(Array(stream[(offset + header)..<(offset + header + body)]))
        offset += header + body
        switch directives.after(frame: frames.count) {
        case .proceed, .pause: break
        case .changeLimit(let newLimit): limit = newLimit
        case .stop: return (frames, .stopped)
        }
    }
    return (frames, .consumed)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let chunking = input.byte()
    let limitByte = input.byte()
    let directiveByte = input.byte()
    let newLimitByte = input.byte()
    let stream = Array(input.rest())

    let limit = limitByte == 255 ? HandshakeMessage.maxFrameLength : Int(limitByte)
    let directives = Directives(
        stopAfter: Int(directiveByte >> 4),
        changeAfter: Int(directiveByte & 0x0F),
        newLimit: Int(newLimitByte) * 4,
        pauseEvery: Int(chunking >> 5)
    )
    let (expectedFrames, expectedEnding) = referenceFrames(stream, limit: limit, directives)

    var decoder = FrameDecoder(maxBodyLength: limit)
    var frames: [[UInt8]] = []
    var limitInForce = limit
    var ending: Ending?
    var sizes = ChunkSizes(seed: chunking)
    var offset = 0
    func handle(_ body: UnsafeRawBufferPointer) -> FrameDecoder.Directive {
        invariant(ending == nil, "a frame was handed out after the handler said stop")
        invariant(body.count <= limitInForce, "a \(body.count)-byte frame was handed out under a limit of \(limitInForce)")
        frames.append(Array(body))
        let directive = directives.after(frame: frames.count)
        switch directive {
        case .proceed, .pause: break
        case .changeLimit(let newLimit): limitInForce = newLimit
        case .stop: ending = .stopped
        }
        return directive
    }
    stream.withUnsafeBytes { all in
        while offset < all.count, ending == nil {
            let size = chunking == 0 ? all.count : min(sizes.next(), all.count - offset)
            let chunk = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + size)])
            offset += size
            do {
                try decoder.feed(chunk, handle)
                // Held-back frames come out first, as a connection resuming after a pause does.
                while ending == nil, decoder.holdsWholeFrame {
                    try decoder.feed(UnsafeRawBufferPointer(start: nil, count: 0), handle)
                }
            } catch let error as FrameError {
                ending = .failed(error)
                break
            } catch {
                invariant(false, "feed threw \(error), which is not a FrameError")
            }
            invariant(decoder.maxBodyLength == limitInForce, "maxBodyLength \(decoder.maxBodyLength), expected \(limitInForce)")
            invariant(
                decoder.bufferedByteCount <= 12 + decoder.maxBodyLength,
                "\(decoder.bufferedByteCount) bytes buffered under a limit of \(decoder.maxBodyLength)"
            )
        }
    }
    if ending == nil {
        ending = decoder.bufferedByteCount == 0 ? .consumed : .incomplete(buffered: decoder.bufferedByteCount)
    }
    if ending == .stopped {
        invariant(decoder.bufferedByteCount == 0, "\(decoder.bufferedByteCount) bytes still buffered after stop")
    }
    invariant(
        frames == expectedFrames,
        "frames \(frames.map { hex($0) }), the reference parser found \(expectedFrames.map { hex($0) })"
    )
    invariant(ending == expectedEnding, "the stream ended as \(ending!), the reference says \(expectedEnding)")
    if case .failed(let error) = ending {
        _ = error.description
    }
    return 0
}

runLibFuzzer(fuzzFrames)
