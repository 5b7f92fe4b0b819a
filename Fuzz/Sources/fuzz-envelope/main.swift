import FuzzSupport
import MPRelayProtocol

// Decodes the input as a frame body, as the broker and the clients do after the handshake:
// Envelope(decoding:) for every kind, MessageView for the SEND and DELIVER of the relay path.
//
// Invariants:
// - whatever decodes re-encodes to the same bytes, and decodes again to the same envelope;
// - MessageView and Envelope agree on SEND and DELIVER: same fields, and MessageView accepts
//   every one Envelope accepts (Envelope also validates the name, MessageView leaves that to
//   the registry lookup);
// - the broker's relay step (SEND in, DELIVER with the sender's name out) gives a DELIVER that
//   decodes to the same payload, flags and correlation id.

/// The name the relay step stamps on DELIVERs: the longest allowed, to push the header to its limit.
private let sender = try! PeerName(String(repeating: "s", count: PeerName.maxLength))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let body = input.rest()
    let bytes = Array(body)

    let envelope: Envelope?
    do {
        envelope = try Envelope(decoding: body)
    } catch {
        _ = error.description
        envelope = nil
    }
    let view: MessageView?
    do {
        view = try MessageView(body)
    } catch {
        _ = error.description
        view = nil
    }

    if let envelope {
        invariant(envelope.kind.rawValue == bytes.first, "decoded as \(envelope.kind) from kind byte \(bytes.first!)")
        let reencoded = envelope.encodedBody()
        invariant(reencoded == bytes, "\(envelope) decoded from \(hex(bytes)) re-encodes to \(hex(reencoded))")
        invariant(envelope.encodedFrame() == Frame.encode(bytes), "\(envelope): encodedFrame differs from the framed body")
        let again = try? Envelope(decoding: reencoded)
        invariant(again == envelope, "\(envelope) re-decodes as \(again.map { "\($0)" } ?? "an error")")
        switch envelope {
        case .send(let message), .deliver(let message):
            guard let view else {
                invariant(false, "Envelope decoded \(envelope) but MessageView refused it")
                return 0
            }
            invariant(
                view.kind == envelope.kind && view.options == message.options && view.flags == message.flags
                    && view.correlationID == message.correlationID && Array(view.peer) == message.peer.bytes
                    && Array(view.payload) == message.payload,
                "MessageView and Envelope disagree on \(hex(bytes))"
            )
        default:
            invariant(view == nil, "MessageView accepted a \(envelope.kind)")
        }
    }

    if let view {
        invariant(view.kind == .send || view.kind == .deliver, "MessageView accepted a \(view.kind)")
        invariant(!view.peer.isEmpty && view.peer.count == Int(bytes[11]), "MessageView's peer is \(view.peer.count) bytes")
        invariant(view.payload.count == bytes.count - MessageView.fixedHeaderLength - view.peer.count, "MessageView lost payload bytes")
        var frame: [UInt8] = []
        MessageView.appendFrame(
            kind: view.kind,
            options: view.options,
            flags: view.flags,
            correlationID: view.correlationID,
            peer: view.peer,
            payload: view.payload,
            to: &frame
        )
        invariant(frame == Frame.encode(bytes), "MessageView re-encodes \(hex(bytes)) as \(hex(frame))")
        if envelope == nil {
            // Only the name can make Envelope refuse what MessageView reads.
            do {
                _ = try Envelope(decoding: body)
            } catch {
                guard case .invalidName = error else {
                    invariant(false, "MessageView read \(hex(bytes)) but Envelope refused it: \(error)")
                    return 0
                }
            }
        }
        if view.kind == .send {
            relay(view)
        }
    }
    return 0
}

/// What the broker does with a SEND: a DELIVER carrying the sender's name and the forwarded options.
private func relay(_ view: MessageView) {
    var frame: [UInt8] = []
    let options = view.options.intersection(.forwarded)
    sender.bytes.withUnsafeBytes { name in
        MessageView.appendFrame(
            kind: .deliver,
            options: options,
            flags: view.flags,
            correlationID: view.correlationID,
            peer: name,
            payload: view.payload,
            to: &frame
        )
    }
    invariant(
        frame.count == MessageView.frameLength(peerLength: sender.bytes.count, payloadLength: view.payload.count),
        "frameLength disagrees with the \(frame.count) bytes appendFrame wrote"
    )
    // Fuzz inputs are far below 2 GiB, so the header is the 4-byte form.
    let delivered = try? Envelope(decoding: Array(frame.dropFirst(4)))
    let expected = Envelope.deliver(Message(
        options: options,
        flags: view.flags,
        correlationID: view.correlationID,
        peer: sender,
        payload: Array(view.payload)
    ))
    invariant(delivered == expected, "the relayed DELIVER decodes as \(delivered.map { "\($0)" } ?? "an error")")
}

runLibFuzzer(fuzzEnvelope)
