import Glibc
import MPRelayConfig
import MPRelayNATS
import MPRelayProtocol
import MPRelayTLS

/// A ``MessageLink`` speaking the NATS text protocol (core NATS, no JetStream), so the same
/// workloads measure nats-server.
///
/// The client sends `CONNECT`; a receiving link subscribes to the subject equal to its name
/// (`SUB name 1`) and is routable once the `PONG` to its `PING` arrives. Messages go out as
/// `PUB subject #bytes` and arrive as `MSG subject sid [reply] #bytes`; a server `PING` is
/// answered with `PONG`. MPRelayNATS encodes and parses every operation; the parser reads in
/// place from this link's buffer, so a payload is never copied before it is delivered. With TLS
/// (a server with `tls_required` in its `INFO`) every byte after that `INFO` goes through a
/// ``TLSStream``, as in MPRelayNATS's connection.
final class NATSLink: MessageLink {
    let fileDescriptor: Int32
    private var tls: TLSStream?
    private(set) var errorCount = 0
    private(set) var lastError: String?

    private var writeBuffer: [UInt8] = []
    private var readBuffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var parser = NATSParser()
    /// The subject of each target sent to, validated once.
    private var subjects: [PeerName: NATSSubject] = [:]
    /// The last target and its subject: a sender sends to one target at a time.
    private var lastTarget: (name: PeerName, subject: NATSSubject)?

    private static let readSize = 256 * 1024

    /// Connects (in TLS with `tls`, which the server must require), and subscribes to `subject`
    /// if given; messages to it are routed when this returns.
    init(address: EndpointAddress, subscribeTo subject: PeerName?, tls settings: (context: TLSContext, serverName: String)?) throws(BenchError) {
        fileDescriptor = try TCPConnection.open(address)
        readBuffer = .allocate(byteCount: Self.readSize + parser.maxControlLineLength, alignment: 16)
        do {
            var tlsRequired = false
            try waitFor {
                guard case .info(let info) = $0 else { return false }
                tlsRequired = info.tlsRequired
                return true
            }
            if let settings {
                guard tlsRequired else { throw BenchError(.setup, "--tls: the server does not offer TLS") }
                do {
                    tls = try TLSStream(descriptor: fileDescriptor, context: settings.context, serverName: settings.serverName)
                } catch {
                    throw BenchError(.setup, "\(error)")
                }
            }
            var payload = NATSConnectPayload()
            payload.headers = false
            payload.noResponders = false
            payload.tlsRequired = tls != nil
            NATSEncoder.connect(payload, into: &writeBuffer)
            if let subject {
                do {
                    try NATSEncoder.subscribe(NATSSubject(subject.description), sid: 1, into: &writeBuffer)
                } catch {
                    throw BenchError(.setup, "\(error)")
                }
            }
            NATSEncoder.ping(into: &writeBuffer)
            try flush()
            // The server handles commands in order: the PONG means the SUB is in effect.
            try waitFor { if case .pong = $0 { return true } else { return false } }
        } catch {
            // Every stored property is set: the failed init runs deinit, which closes and frees.
            throw BenchError(.setup, "nats-server at \(address): \(error)")
        }
    }

    deinit {
        close(fileDescriptor)
        readBuffer.deallocate()
    }

    var queuedByteCount: Int { writeBuffer.count }

    func queue(_ payload: UnsafeRawBufferPointer, to target: PeerName) {
        do {
            let subject: NATSSubject
            if let lastTarget, lastTarget.name == target {
                subject = lastTarget.subject
            } else {
                subject = try subjects[target] ?? NATSSubject(target.description)
                subjects[target] = subject
                lastTarget = (target, subject)
            }
            try NATSEncoder.publish(subject, payload: payload, into: &writeBuffer)
        } catch {
            errorCount += 1
            lastError = "\(error)"
        }
    }

    func flush() throws(BenchError) {
        if let tls {
            do {
                try writeBuffer.withUnsafeBytes { bytes in Result { () throws(TLSError) in try tls.send(bytes) } }.get()
            } catch {
                throw BenchError(.io, "nats: \(error)")
            }
            writeBuffer.removeAll(keepingCapacity: true)
            return
        }
        var offset = 0
        while offset < writeBuffer.count {
            let count = writeBuffer.withUnsafeBytes {
                send(fileDescriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw BenchError(.io, "nats: send failed: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        writeBuffer.removeAll(keepingCapacity: true)
    }

    func receive(_ deliver: (UnsafeRawBufferPointer) -> Void) throws(BenchError) {
        try readOnce()
        var pinged = false
        try parse { operation in
            switch operation {
            case .message(let message): deliver(message.payload)
            case .ping: pinged = true
            case .error(let text):
                errorCount += 1
                lastError = "-ERR '\(text)'"
            case .pong, .info, .ok: break
            }
        }
        if pinged {
            NATSEncoder.pong(into: &writeBuffer)
            try flush()
        }
    }

    /// Reads until an operation satisfies `done`, answering PINGs; -ERR fails setup.
    private func waitFor(_ done: (NATSServerOperation) -> Bool) throws(BenchError) {
        var finished = false
        var failure: String?
        while !finished {
            try readOnce()
            try parse { operation in
                if case .error(let text) = operation { failure = text }
                if case .ping = operation { NATSEncoder.pong(into: &writeBuffer) }
                if done(operation) { finished = true }
            }
            if let failure { throw BenchError(.setup, failure) }
            if !writeBuffer.isEmpty { try flush() }
        }
    }

    /// One `recv` into the free end of the buffer, after moving unparsed bytes to the front.
    private func readOnce() throws(BenchError) {
        if start == end {
            start = 0
            end = 0
        } else if readBuffer.count - end < Self.readSize / 4 {
            let pending = end - start
            readBuffer.baseAddress!.copyMemory(from: readBuffer.baseAddress! + start, byteCount: pending)
            start = 0
            end = pending
        }
        if let tls {
            let received: TLSStream.Received
            do {
                received = try tls.receive(into: UnsafeMutableRawBufferPointer(rebasing: readBuffer[end...]))
            } catch {
                throw BenchError(.io, "nats: \(error)")
            }
            guard case .bytes(let count) = received else { throw BenchError(.io, "nats: the server closed the connection (\(received))") }
            end += count
            return
        }
        while true {
            let count = recv(fileDescriptor, readBuffer.baseAddress! + end, readBuffer.count - end, 0)
            if count < 0 {
                if errno == EINTR { continue }
                throw BenchError(.io, "nats: recv failed: \(String(cString: strerror(errno)))")
            }
            guard count > 0 else { throw BenchError(.io, "nats: the server closed the connection") }
            end += count
            return
        }
    }

    /// Hands every complete operation in the buffer to `handle` and drops it from the buffer.
    private func parse(_ handle: (NATSServerOperation) -> Void) throws(BenchError) {
        let progress: NATSParser.Progress
        do {
            progress = try parser.parse(UnsafeRawBufferPointer(rebasing: readBuffer[start..<end]), handle)
        } catch {
            throw BenchError(.protocolViolation, "nats: \(error)")
        }
        start += progress.consumed
        if progress.awaiting > 0 { makeRoom(forItemOf: progress.awaiting) }
    }

    /// Grows the buffer when one message is larger than the room left for it.
    private func makeRoom(forItemOf total: Int) {
        guard total > readBuffer.count - start else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: total + Self.readSize, alignment: 16)
        grown.baseAddress!.copyMemory(from: readBuffer.baseAddress! + start, byteCount: end - start)
        readBuffer.deallocate()
        readBuffer = grown
        end -= start
        start = 0
    }
}
