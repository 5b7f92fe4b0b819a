import Dispatch
import Glibc
import Logging
import MPRelayControl
import MPRelayPOSIX

/// One accepted control connection: its input and output buffers, its deadline and its dispatch
/// sources. Everything is confined to the server's queue.
///
/// A client is held to its ``ControlLimits``: a request line longer than `maxRequestBytes` is
/// answered `request_too_long` and the connection closed; answers are written without blocking and
/// a client that lets more than `maxAnswerBytes` pile up unread is dropped; a client that neither
/// completes a request line nor takes its answer within `timeout` is dropped.
final class ControlClient: @unchecked Sendable {
    let id: Int
    let credentials: PeerCredentials
    private let fd: Int32
    private let queue: DispatchQueue
    private let limits: ControlLimits
    private let logger: Logger
    /// Answers one request line (without its newline) with one answer line.
    private let respond: (ControlClient, ArraySlice<UInt8>) -> [UInt8]
    /// Called once, when the client is closed.
    private let closed: (ControlClient) -> Void

    private var readSource: (any DispatchSourceRead)?
    private var writeSource: (any DispatchSourceWrite)?
    /// Sources created and not yet through their cancel handler; the fd is closed when the last
    /// one is, never before (the kernel would reuse the number at once).
    private var liveSources = 0
    private var inbox: [UInt8] = []
    private var outbox: [UInt8] = []
    private var outboxOffset = 0
    private var deadline: DispatchTime
    private var closeWhenFlushed = false
    private(set) var isClosed = false

    init(
        id: Int,
        fd: Int32,
        credentials: PeerCredentials,
        queue: DispatchQueue,
        limits: ControlLimits,
        logger: Logger,
        respond: @escaping (ControlClient, ArraySlice<UInt8>) -> [UInt8],
        closed: @escaping (ControlClient) -> Void
    ) {
        self.id = id
        self.fd = fd
        self.credentials = credentials
        self.queue = queue
        self.limits = limits
        self.logger = logger
        self.respond = respond
        self.closed = closed
        self.deadline = .now() + limits.timeout
    }

    /// Starts reading requests and the timeout clock.
    func start() {
        dispatchPrecondition(condition: .onQueue(queue))
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [self] in readAvailable() }
        source.setCancelHandler { [self] in sourceCancelled() }
        readSource = source
        liveSources += 1
        source.activate()
        scheduleTimeoutCheck()
    }

    /// Closes the connection now, dropping anything unwritten.
    func close() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !isClosed else { return }
        isClosed = true
        readSource?.cancel()
        readSource = nil
        writeSource?.cancel()
        writeSource = nil
        if liveSources == 0 { SystemCall.close(fd) }
        closed(self)
    }

    // MARK: Reading

    private func readAvailable() {
        // One read per event, then other clients get the queue; the source fires again.
        var budget = 65_536
        var chunk = [UInt8](repeating: 0, count: budget)
        while budget > 0, !isClosed, !closeWhenFlushed {
            switch chunk.withUnsafeMutableBytes({ SocketIO.read(fd, into: $0) }) {
            case .transferred(let count):
                inbox.append(contentsOf: chunk[..<count])
                budget -= count
                processLines()
            case .endOfFile:
                endOfInput()
                return
            case .wouldBlock:
                return
            case .failed(let code):
                logger.debug("control client \(credentials): read failed: \(String(cString: strerror(code)))")
                close()
                return
            }
        }
    }

    /// Answers every complete line in the inbox, in order.
    private func processLines() {
        var consumed = 0
        while !isClosed, !closeWhenFlushed, let newline = inbox[consumed...].firstIndex(of: UInt8(ascii: "\n")) {
            guard newline + 1 - consumed <= limits.maxRequestBytes else {
                inbox.removeFirst(consumed)
                return requestTooLong()
            }
            var line = inbox[consumed..<newline]
            consumed = newline + 1
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { continue }
            deadline = .now() + limits.timeout
            enqueue(respond(self, line))
        }
        inbox.removeFirst(consumed)
        if inbox.count >= limits.maxRequestBytes, !isClosed, !closeWhenFlushed { return requestTooLong() }
        if !isClosed { flush() }
    }

    private func requestTooLong() {
        logger.warning("control client \(credentials): request line longer than max_request_bytes (\(limits.maxRequestBytes)); closing")
        let failure = ControlFailure(.requestTooLong, "the request line is longer than \(limits.maxRequestBytes) bytes (max_request_bytes); the connection is closed")
        inbox = []
        finish(with: ControlServer.failureLine(failure, command: nil))
    }

    private func endOfInput() {
        readSource?.cancel()
        readSource = nil
        if outboxOffset < outbox.count {
            closeWhenFlushed = true
        } else {
            close()
        }
    }

    /// Queues a last answer, stops reading, and closes once it is written.
    private func finish(with line: [UInt8]) {
        closeWhenFlushed = true
        readSource?.cancel()
        readSource = nil
        enqueue(line)
        if !isClosed { flush() }
    }

    // MARK: Writing

    /// Appends an answer to the output, or drops the client when too much waits unread. Small
    /// answers are written once per batch (one `send` for many), larger ones at once.
    private func enqueue(_ line: [UInt8]) {
        guard !isClosed else { return }
        let pending = outbox.count - outboxOffset
        if pending > 0 && pending + line.count > limits.maxAnswerBytes {
            logger.warning("control client \(credentials): \(pending + line.count) answer bytes unread, more than max_answer_bytes (\(limits.maxAnswerBytes)); dropping it")
            close()
            return
        }
        outbox.append(contentsOf: line)
        if outbox.count - outboxOffset >= 65_536 { flush() }
    }

    private func flush() {
        guard outboxOffset < outbox.count else { return }
        while outboxOffset < outbox.count {
            let result = outbox.withUnsafeBytes { bytes in
                SocketIO.write(fd, UnsafeRawBufferPointer(rebasing: bytes[outboxOffset...]), flags: Int32(MSG_DONTWAIT))
            }
            switch result {
            case .transferred(let count):
                outboxOffset += count
            case .wouldBlock:
                waitUntilWritable()
                return
            case .endOfFile:
                preconditionFailure("a write never reports end of file")
            case .failed(let code):
                logger.debug("control client \(credentials): write failed: \(String(cString: strerror(code)))")
                close()
                return
            }
        }
        outbox = []
        outboxOffset = 0
        writeSource?.cancel()
        writeSource = nil
        deadline = .now() + limits.timeout
        if closeWhenFlushed { close() }
    }

    private func waitUntilWritable() {
        guard writeSource == nil else { return }
        let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [self] in if !isClosed { flush() } }
        source.setCancelHandler { [self] in sourceCancelled() }
        writeSource = source
        liveSources += 1
        source.activate()
    }

    // MARK: Lifetime

    private func sourceCancelled() {
        liveSources -= 1
        if liveSources == 0 && isClosed { SystemCall.close(fd) }
    }

    private func scheduleTimeoutCheck() {
        queue.asyncAfter(deadline: deadline) { [self] in
            guard !isClosed else { return }
            guard DispatchTime.now() >= deadline else { return scheduleTimeoutCheck() }
            if outboxOffset < outbox.count {
                logger.warning("control client \(credentials): did not take its answer within client_timeout; closing")
            } else {
                if inbox.isEmpty {
                    logger.debug("control client \(credentials): idle for client_timeout; closing")
                } else {
                    logger.warning("control client \(credentials): did not complete its request line within client_timeout; closing")
                }
                let failure = ControlFailure(.timeout, "no complete request line within client_timeout; the connection is closed")
                ControlServer.sendBestEffort(fd, ControlServer.failureLine(failure, command: nil))
            }
            close()
        }
    }
}
