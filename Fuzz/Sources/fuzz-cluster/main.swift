import FuzzSupport
import MPRelayCluster
import MPRelayProtocol

// What one mprelayd node reads from others: the frames published to its NATS subject, and the
// keys and values of the cluster's key-value bucket. The first byte picks which; the rest is the
// input (frames: deliveries, outcomes, acknowledgements). Decoding must throw or succeed, never trap, and whatever decodes must encode to
// something that decodes to the same value (keys and claims: to the very same bytes). A delivery
// read in place must agree with the frame decoder: the same verdict, the same fields.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCluster(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let selector = input.byte()
    let bytes = Array(input.rest())
    switch selector % 3 {
    case 0:
        let inPlace = Result { () throws(ClusterFrameError) in try IncomingDelivery(decoding: bytes) }
        do {
            let frame = try ClusterFrame(decoding: bytes)
            let again = try ClusterFrame(decoding: frame.encoded())
            invariant(again == frame, "a frame does not survive encoding: \(hex(bytes))")
            if case .delivery(let delivery) = frame {
                guard case .success(let incoming) = inPlace else {
                    invariant(false, "a delivery the frame decoder takes is refused in place: \(hex(bytes))")
                    return 0
                }
                invariant(incoming.receiver == delivery.receiver && incoming.senderNode == delivery.senderNode
                    && incoming.senderConnection == delivery.senderConnection && incoming.confirm == delivery.confirm
                    && incoming.correlationID == delivery.message.correlationID
                    && incoming.epoch == delivery.epoch && incoming.sequence == delivery.sequence,
                    "a delivery read in place differs from the decoded frame: \(hex(bytes))")
            }
        } catch {
            invariant(!error.description.isEmpty, "a ClusterFrameError with no description")
            if case .success = inPlace, bytes.first != 0x02, bytes.first != 0x04 {
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
