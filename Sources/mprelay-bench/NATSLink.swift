import Glibc
import MPRelayCommon
import MPRelayNATS
import MPRelayPOSIX
import MPRelayProtocol
import MPRelayTLS

/// A ``MessageLink`` speaking the NATS text protocol (core NATS, no JetStream), so the same
/// workloads measure nats-server.
///
/// The client sends `CONNECT`; a receiving link subscribes to the subjects of its name
/// (``NATSSubjectLayout``: by default one, equal to its name, `SUB name 1`) and is routable
/// from its own server once the `PONG` to its `PING` arrives. Messages go out as
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
    /// How names map onto subjects.
    let layout: NATSSubjectLayout
    /// The subjects of each target sent to before ``current``, validated once, and the next
    /// one's index.
    private var subjects: [PeerName: (subjects: [NATSSubject], next: Int)] = [:]
    /// The target sent to last, kept out of ``subjects``: a sender sends to one target at a time.
    private var current: (name: PeerName, subjects: [NATSSubject], next: Int)?

    private static let readSize = 256 * 1024

    /// Connects (in TLS with `tls`, which the server must require), and subscribes to the
    /// subjects of `name` under `layout` if given; messages to them are routed by this link's
    /// server when this returns (by the other servers of a cluster once its routes have
    /// forwarded the interest: ``waitForInterest(from:to:name:)``).
    init(
        address: EndpointAddress,
        subscribeTo name: PeerName?,
        layout: NATSSubjectLayout = .single,
        tls settings: (context: TLSContext, serverName: String)?
    ) throws(BenchError) {
        self.layout = layout
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
            if let name {
                for (index, subject) in try layout.subscribed(by: name).enumerated() {
                    try subscribe(subject, sid: UInt64(index + 1))
                }
            }
            // The server handles commands in order: the PONG means the SUBs are in effect.
            try roundTrip()
        } catch {
            // Every stored property is set: the failed init runs deinit, which closes and frees.
            throw BenchError(.setup, "nats-server at \(address): \(error)")
        }
    }

    // Also when the initializer throws after connecting: every stored property is set by then,
    // so deinit runs (releasing them in the initializer too closed and freed them twice).
    deinit {
        SystemCall.close(fileDescriptor)
        readBuffer.deallocate()
    }

    var queuedByteCount: Int { writeBuffer.count }

    /// Queues the message to the next of `target`'s subjects, round-robin.
    func queue(_ payload: UnsafeRawBufferPointer, to target: PeerName) {
        do throws(BenchError) {
            if current?.name != target {
                if let current { subjects[current.name] = (current.subjects, current.next) }
                if let known = subjects.removeValue(forKey: target) {
                    current = (target, known.subjects, known.next)
                } else {
                    current = (target, try layout.published(to: target), 0)
                }
            }
            let (_, all, next) = current!
            current!.next = next + 1 == all.count ? 0 : next + 1
            publish(payload, to: all[next])
        } catch {
            errorCount += 1
            lastError = "\(error)"
        }
    }

    /// Queues one message to `subject`.
    func publish(_ payload: UnsafeRawBufferPointer, to subject: NATSSubject) {
        do {
            try NATSEncoder.publish(subject, payload: payload, into: &writeBuffer)
        } catch {
            errorCount += 1
            lastError = "\(error)"
        }
    }

    /// Queues `SUB subject sid`.
    func subscribe(_ subject: NATSSubject, sid: UInt64) throws(BenchError) {
        do {
            try NATSEncoder.subscribe(subject, sid: sid, into: &writeBuffer)
        } catch {
            throw BenchError(.setup, "SUB \(subject): \(error)")
        }
    }

    /// Sends `PING` after everything queued and waits for the `PONG`: the server has handled
    /// every command before it. Messages arriving meanwhile are dropped: call it on a link that
    /// receives none.
    func roundTrip() throws(BenchError) {
        NATSEncoder.ping(into: &writeBuffer)
        try flush()
        try waitFor { if case .pong = $0 { return true } else { return false } }
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
            switch writeBuffer.withUnsafeBytes({ SocketIO.write(fileDescriptor, UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
            case .transferred(let count): offset += count
            case .wouldBlock, .endOfFile: throw BenchError(.io, "nats: send failed: \(SystemCallError("send", errno: EAGAIN))")
            case .failed(let code): throw BenchError(.io, "nats: send failed: \(SystemCallError("send", errno: code))")
            }
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
        switch SocketIO.read(fileDescriptor, into: UnsafeMutableRawBufferPointer(rebasing: readBuffer[end...])) {
        case .transferred(let count): end += count
        case .endOfFile: throw BenchError(.io, "nats: the server closed the connection")
        case .wouldBlock: throw BenchError(.io, "nats: recv failed: \(SystemCallError("recv", errno: EAGAIN))")
        case .failed(let code): throw BenchError(.io, "nats: recv failed: \(SystemCallError("recv", errno: code))")
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
