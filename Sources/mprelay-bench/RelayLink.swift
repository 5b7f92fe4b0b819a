import Glibc
import MPRelayClient
import MPRelayCommon
import MPRelayProtocol

/// A ``MessageLink`` over an authenticated, registered mprelay connection.
final class RelayLink: MessageLink {
    /// The connection; fan-in and handshake runs use it directly.
    let client: RelayClient
    private(set) var errorCount = 0
    private(set) var lastError: String?

    /// Connects to `at`, authenticates and registers `name`; the name is routable from `at`
    /// when this returns, and from the other nodes of a cluster once their replica has it
    /// (``waitUntilListed(_:)``).
    init(target: BenchTarget, name: PeerName, at: EndpointAddress) throws(BenchError) {
        do {
            client = try target.relayClient(name: name, at: at)
        } catch {
            throw BenchError(.setup, "cannot connect to mprelayd at \(at) as \(name): \(error)")
        }
        SocketOptions.setTimeouts(client.fileDescriptor, seconds: SocketOptions.ioTimeout)
    }

    /// Asks LIST until `names` are all registered as far as this link's node knows: on a
    /// cluster, until its replica has the names registered on other nodes. At most 10 s.
    func waitUntilListed(_ names: Set<PeerName>) throws(BenchError) {
        let deadline = MonotonicClock.now() + 10_000_000_000
        var missing = names
        while true {
            do throws(RelayClientError) {
                client.queue(.list(correlationID: 1))
                try client.flush()
                while true {
                    guard case .peerList(_, let listed) = try client.receive() else { continue }
                    missing = names.subtracting(listed)
                    break
                }
            } catch {
                throw BenchError(.setup, "listing peers as \(client.name): \(error)")
            }
            if missing.isEmpty { return }
            guard MonotonicClock.now() < deadline else {
                throw BenchError(.setup, "\(client.name)'s node did not list \(missing.map(\.description).sorted()) within 10 s")
            }
            usleep(10_000)
        }
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
