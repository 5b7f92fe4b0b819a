import FuzzSupport
import MPRelayNATS

// Feeds a server's byte stream to NATSParser in chunks, as reads off a socket would deliver it,
// and checks that the chunking changes nothing.
//
// Input layout: [chunking] [limits] stream...
// - chunking: 0 feeds the stream at once; otherwise chunk sizes of 1 to (chunking % 32) + 1 bytes
//   drawn from a generator seeded with it.
// - limits: 0 keeps the parser's defaults; otherwise the control line limit is 16 + 4 * (high
//   nibble) bytes and the max_payload ceiling 16 * (low nibble) bytes.
//
// Invariants: the same operations, in the same order, and the same ending (the same error, or
// the same bytes left buffered) as one `parse` of the whole stream; no payload over the
// max_payload ceiling; between reads, never more buffered than one control line and one message.

/// An operation in a form that compares.
private enum Operation: Equatable {
    case info(maxPayload: Int)
    case message(subject: [UInt8], sid: UInt64, reply: [UInt8], headers: NATSHeaders?, payload: [UInt8])
    case ping, pong, ok
    case error(String)

    init(_ operation: NATSServerOperation) {
        switch operation {
        case .info(let info): self = .info(maxPayload: info.maxPayload)
        case .message(let view):
            self = .message(subject: Array(view.subject), sid: view.sid, reply: Array(view.replyTo), headers: view.headers, payload: Array(view.payload))
        case .ping: self = .ping
        case .pong: self = .pong
        case .ok: self = .ok
        case .error(let text): self = .error(text)
        }
    }
}

private enum Ending: Equatable {
    case buffered(Int)
    case failed(NATSProtocolError)
}

private func makeParser(_ limits: UInt8) -> NATSParser {
    guard limits != 0 else { return NATSParser() }
    return NATSParser(maxControlLineLength: 16 + 4 * Int(limits >> 4), maxPayloadCeiling: 16 * Int(limits & 0x0F))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNATS(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let chunking = input.byte()
    let limits = input.byte()
    let stream = input.rest()

    // The reference: one in-place parse of the whole stream.
    var reference = makeParser(limits)
    var expected: [Operation] = []
    let expectedEnding: Ending
    do {
        let progress = try reference.parse(stream) { expected.append(Operation($0)) }
        invariant(progress.consumed <= stream.count, "consumed \(progress.consumed) of \(stream.count) bytes")
        expectedEnding = .buffered(stream.count - progress.consumed)
    } catch let error as NATSProtocolError {
        expectedEnding = .failed(error)
    } catch {
        invariant(false, "parse threw \(error), which is not a NATSProtocolError")
        return 0
    }

    var parser = makeParser(limits)
    let ceiling = parser.maxPayloadCeiling
    var operations: [Operation] = []
    var ending: Ending?
    var sizes = ChunkSizes(seed: chunking)
    var offset = 0
    while offset < stream.count, ending == nil {
        let size = chunking == 0 ? stream.count : min(sizes.next(), stream.count - offset)
        let chunk = UnsafeRawBufferPointer(rebasing: stream[offset..<(offset + size)])
        offset += size
        do {
            try parser.feed(chunk) { operation in
                if case .message(let view) = operation {
                    invariant(view.payload.count <= ceiling, "a \(view.payload.count)-byte payload over the ceiling \(ceiling)")
                }
                operations.append(Operation(operation))
            }
            // A live parser holds at most an incomplete control line, or one line and its message.
            invariant(
                parser.bufferedByteCount <= parser.maxControlLineLength + parser.maxPayloadCeiling + 2,
                "\(parser.bufferedByteCount) bytes buffered"
            )
        } catch let error as NATSProtocolError {
            ending = .failed(error)
        } catch {
            invariant(false, "feed threw \(error), which is not a NATSProtocolError")
        }
    }
    let actualEnding = ending ?? .buffered(parser.bufferedByteCount)
    invariant(operations == expected, "chunked parse gave \(operations.count) operations, whole parse \(expected.count), input \(hex(stream))")
    invariant(actualEnding == expectedEnding, "chunked parse ended \(actualEnding), whole parse \(expectedEnding), input \(hex(stream))")
    return 0
}

runLibFuzzer(fuzzNATS)
