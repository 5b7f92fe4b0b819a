import Glibc
import MPRelayClient
import MPRelayConfig
import MPRelayProtocol

/// A ``MessageLink`` over an authenticated, registered mprelay connection.
final class RelayLink: MessageLink {
    /// The connection; fan-in and handshake runs use it directly.
    let client: RelayClient
    private(set) var errorCount = 0
    private(set) var lastError: String?

    /// Connects, authenticates and registers `name`; the name is routable when this returns.
    init(target: BenchTarget, name: PeerName) throws(BenchError) {
        do {
            client = try target.relayClient(name: name)
        } catch {
            throw BenchError(.setup, "cannot connect to mprelayd at \(target.address) as \(name): \(error)")
        }
        SocketOptions.setTimeouts(client.fileDescriptor, seconds: SocketOptions.ioTimeout)
    }

    var fileDescriptor: Int32 { client.fileDescriptor }
    var queuedByteCount: Int { client.queuedByteCount }

    func queue(_ payload: UnsafeRawBufferPointer, to target: PeerName) {
        client.send(payload, to: target)
    }

    func flush() throws(BenchError) {
        do throws(RelayClientError) {
            try client.flush()
        } catch {
            throw BenchError(.io, "writing as \(client.name): \(error)")
        }
    }

    func receive(_ deliver: (UnsafeRawBufferPointer) -> Void) throws(BenchError) {
        var replies = false
        do throws(RelayClientError) {
            try client.receiveFrames { body throws(RelayClientError) in
                switch body.first {
                case EnvelopeKind.deliver.rawValue:
                    do {
                        deliver(try MessageView(body).payload)
                    } catch {
                        throw RelayClientError(.ioFailed, "invalid DELIVER: \(error)")
                    }
                case EnvelopeKind.ping.rawValue:
                    // The broker pings a peer it has not heard from for idle_timeout seconds.
                    if let envelope = try? Envelope(decoding: body), case .ping(let id) = envelope {
                        client.queue(.pong(correlationID: id))
                        replies = true
                    }
                default:
                    noteControl(body)
                }
            }
            if replies { try client.flush() }
        } catch {
            throw BenchError(error.code == .closed ? .io : .protocolViolation, "reading as \(client.name): \(error)")
        }
    }

    /// Counts an ERROR; anything else the broker may send unasked (ACK, PONG) is ignored.
    private func noteControl(_ body: UnsafeRawBufferPointer) {
        guard body.first == EnvelopeKind.error.rawValue else { return }
        errorCount += 1
        if let envelope = try? Envelope(decoding: body), case .error(let report) = envelope {
            lastError = "error \(report.rawCode) for \(String(decoding: report.peer, as: UTF8.self)): \(report.text)"
        }
    }
}
