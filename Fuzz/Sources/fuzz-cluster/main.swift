import FuzzSupport
import MPRelayCluster
import MPRelayProtocol

// What one mprelayd node reads from others: the frames published to its NATS subject, and the
// keys and values of the cluster's key-value bucket. The first byte picks which; the rest is the
// input (frames: deliveries, outcomes, acknowledgements). Decoding must throw or succeed, never
// trap, and whatever decodes must encode to something that decodes to the same value (keys and
// claims: to the very same bytes). Deliveries read in place must agree with the frame decoder:
// the same verdict, the same fields.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCluster(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let selector = input.byte()
    let bytes = Array(input.rest())
    switch selector % 3 {
    case 0:
        let inPlace = Result { () throws(ClusterFrameError) in try IncomingDeliveries(decoding: bytes) }
        do {
            let frame = try ClusterFrame(decoding: bytes)
            let again = try ClusterFrame(decoding: frame.encoded())
            invariant(again == frame, "a frame does not survive encoding: \(hex(bytes))")
            if case .deliveries(let deliveries) = frame {
                guard case .success(let incoming) = inPlace else {
                    invariant(false, "deliveries the frame decoder takes are refused in place: \(hex(bytes))")
                    return 0
                }
                invariant(incoming.deliveries.count == deliveries.count && incoming.senderNode == deliveries[0].senderNode
                    && incoming.epoch == deliveries[0].epoch, "deliveries read in place differ from the decoded frame: \(hex(bytes))")
                for (read, decoded) in zip(incoming.deliveries, deliveries) {
                    invariant(read.receiver == decoded.receiver && read.sender == decoded.message.peer
                        && read.senderConnection == decoded.senderConnection && read.confirm == decoded.confirm
                        && read.correlationID == decoded.message.correlationID && read.sequence == decoded.sequence,
                        "a delivery read in place differs from the decoded frame: \(hex(bytes))")
                }
            }
        } catch {
            invariant(!error.description.isEmpty, "a ClusterFrameError with no description")
            if case .success = inPlace {
                invariant(false, "a frame the decoder refuses (\(error)) is taken in place: \(hex(bytes))")
            }
        }
    case 1:
        let text = String(decoding: bytes, as: UTF8.self)
        if let key = ClusterKey(text) {
            invariant(key.description == text, "key \(text) parses to \(key), which is written differently")
        }
    default:
        if let claim = NameClaim(bytes) {
            invariant(NameClaim(claim.bytes) == claim, "claim \(claim) does not survive encoding")
        }
    }
    return 0
}

runLibFuzzer(fuzzCluster)
