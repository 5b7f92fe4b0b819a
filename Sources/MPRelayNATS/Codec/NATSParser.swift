import Foundation

/// Splits the bytes a NATS server sends into operations, bounded and without I/O.
///
/// Two ways in: ``parse(_:_:)`` reads operations in place from a buffer the caller manages (what
/// a benchmark's read loop wants: no copy of any payload) and says how much it consumed;
/// ``feed(_:_:)`` keeps the incomplete tail itself, for callers that just hand over each read.
/// A control line may be at most ``maxControlLineLength`` bytes; a message at most
/// ``maxPayload``, which starts at the protocol's default of 1 MiB and follows each `INFO`'s
/// `max_payload` up to the ceiling given at creation. Any error is fatal for the stream.
public struct NATSParser: Sendable {
    /// The server's default `max_payload`: 1 MiB.
    public static let defaultMaxPayload = 1024 * 1024

    /// How much a call to ``parse(_:_:)`` got through.
    public struct Progress: Equatable, Sendable {
        /// Bytes of complete operations, handled and no longer needed.
        public var consumed: Int
        /// The whole length of the incomplete operation after them when its control line is
        /// complete (so the caller can make room for it); 0 otherwise.
        public var awaiting: Int

        /// Creates a progress report.
        public init(consumed: Int, awaiting: Int) {
            self.consumed = consumed
            self.awaiting = awaiting
        }
    }

    /// The longest control line accepted, `\r\n` included.
    public let maxControlLineLength: Int
    /// The largest `max_payload` an `INFO` may raise ``maxPayload`` to.
    public let maxPayloadCeiling: Int
    /// The largest message (headers and payload) accepted now.
    public private(set) var maxPayload: Int

    private var pending: [UInt8] = []

    /// Creates a parser.
    ///
    /// - Parameters:
    ///   - maxControlLineLength: The longest control line; `INFO` from a large cluster lists every
    ///     server, hence the generous default.
    ///   - maxPayloadCeiling: The largest `max_payload` trusted from a server.
    public init(maxControlLineLength: Int = 64 * 1024, maxPayloadCeiling: Int = 64 * 1024 * 1024) {
        precondition(maxControlLineLength >= 16 && maxPayloadCeiling >= 0)
        self.maxControlLineLength = maxControlLineLength
        self.maxPayloadCeiling = maxPayloadCeiling
        self.maxPayload = min(Self.defaultMaxPayload, maxPayloadCeiling)
    }

    /// The bytes of an incomplete operation kept by ``feed(_:_:)``.
    public var bufferedByteCount: Int { pending.count }

    /// Feeds one read and calls `handle` with every operation it completes, in order.
    ///
    /// - Throws: ``NATSProtocolError``, or what `handle` throws; the parser must not be fed again.
    public mutating func feed(
        _ input: UnsafeRawBufferPointer,
        _ handle: (NATSServerOperation) throws -> Void
    ) throws {
        if pending.isEmpty {
            let progress = try parse(input, handle)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[progress.consumed...]))
            return
        }
        // Moved out while parsing, so that the buffer stays uniquely held: trimming it then works
        // in place instead of copying it whole (on a throw it is dropped, and the parser with it).
        var buffered: [UInt8] = []
        swap(&buffered, &pending)
        buffered.append(contentsOf: input)
        let progress = try buffered.withUnsafeBytes { try parse($0, handle) }
        buffered.removeFirst(progress.consumed)
        swap(&buffered, &pending)
    }

    /// Parses every complete operation at the front of `bytes`, calling `handle` for each.
    ///
    /// - Returns: How many bytes were consumed, and how long the incomplete rest must become.
    /// - Throws: ``NATSProtocolError``, or what `handle` throws.
    public mutating func parse(
        _ bytes: UnsafeRawBufferPointer,
        _ handle: (NATSServerOperation) throws -> Void
    ) throws -> Progress {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let searched = min(rest.count, maxControlLineLength)
            guard let newline = memchr(rest.baseAddress!, 0x0A, searched).map({ $0 - UnsafeMutableRawPointer(mutating: rest.baseAddress!) }) else {
                guard rest.count < maxControlLineLength else { throw NATSProtocolError.controlLineTooLong(limit: maxControlLineLength) }
                return Progress(consumed: offset, awaiting: 0)
            }
            var lineEnd = newline
            if lineEnd > 0 && rest[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: rest[..<lineEnd])
            let afterLine = newline + 1
            if Self.isOperation(line, "MSG") || Self.isOperation(line, "HMSG") {
                let header = try messageHeader(line)
                let total = afterLine + header.totalLength + 2
                guard rest.count >= total else { return Progress(consumed: offset, awaiting: total) }
                let body = UnsafeRawBufferPointer(rebasing: rest[afterLine..<(afterLine + header.totalLength)])
                guard rest[total - 2] == 0x0D, rest[total - 1] == 0x0A else {
                    throw NATSProtocolError.missingPayloadTerminator(subject: String(decoding: header.subject, as: UTF8.self))
                }
                var headers: NATSHeaders?
                if let headerLength = header.headerLength {
                    headers = try NATSHeaders.parse(
                        UnsafeRawBufferPointer(rebasing: body[..<headerLength]),
                        subject: String(decoding: header.subject, as: UTF8.self)
                    )
                }
                try handle(.message(NATSMessageView(
                    subject: header.subject,
                    sid: header.sid,
                    replyTo: header.replyTo,
                    headers: headers,
                    payload: UnsafeRawBufferPointer(rebasing: body[(header.headerLength ?? 0)...])
                )))
                offset += total
                continue
            } else if Self.isOperation(line, "PING") {
                try handle(.ping)
            } else if Self.isOperation(line, "PONG") {
                try handle(.pong)
            } else if Self.isOperation(line, "+OK") {
                try handle(.ok)
            } else if Self.isOperation(line, "-ERR") {
                try handle(.error(Self.errorText(line)))
            } else if Self.isOperation(line, "INFO") {
                let info = try Self.decodeInfo(UnsafeRawBufferPointer(rebasing: line[4...]))
                maxPayload = min(max(info.maxPayload, 0), maxPayloadCeiling)
                try handle(.info(info))
            } else {
                throw NATSProtocolError.unknownOperation(String(decoding: line, as: UTF8.self))
            }
            offset += afterLine
        }
        return Progress(consumed: offset, awaiting: 0)
    }

    // MARK: Control lines

    private struct MessageHeader {
        var subject: UnsafeRawBufferPointer
        var sid: UInt64
        var replyTo: UnsafeRawBufferPointer
        var headerLength: Int?
        var totalLength: Int
    }

    /// Whether `line` is the operation `name` (upper case, as servers write it), alone or
    /// followed by a blank: compared byte by byte, since this runs once per message.
    private static func isOperation(_ line: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        let length = name.utf8CodeUnitCount
        guard line.count >= length, memcmp(line.baseAddress!, name.utf8Start, length) == 0 else { return false }
        return line.count == length || line[length] == 0x20 || line[length] == 0x09
    }

    /// The next blank-separated field of `line` from `index` on, or nil at the end.
    private static func nextField(_ line: UnsafeRawBufferPointer, _ index: inout Int) -> UnsafeRawBufferPointer? {
        while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        guard index < line.count else { return nil }
        let start = index
        while index < line.count, line[index] != 0x20, line[index] != 0x09 { index += 1 }
        return UnsafeRawBufferPointer(rebasing: line[start..<index])
    }

    /// `MSG subject sid [reply] #bytes` or `HMSG subject sid [reply] #hdr #total`, read without
    /// allocating: this runs once per message.
    private func messageHeader(_ line: UnsafeRawBufferPointer) throws(NATSProtocolError) -> MessageHeader {
        let isHMSG = line.first == UInt8(ascii: "H")
        func malformed() -> NATSProtocolError {
            .malformedArguments(operation: isHMSG ? "HMSG" : "MSG", line: String(decoding: line, as: UTF8.self))
        }
        var index = 0
        _ = Self.nextField(line, &index)
        guard let subject = Self.nextField(line, &index), let sidField = Self.nextField(line, &index),
            let sid = Self.decimal(sidField), let first = Self.nextField(line, &index)
        else { throw malformed() }
        let second = Self.nextField(line, &index)
        let third = Self.nextField(line, &index)
        guard Self.nextField(line, &index) == nil else { throw malformed() }
        var replyTo = UnsafeRawBufferPointer(rebasing: line[0..<0])
        let lengths: (header: UnsafeRawBufferPointer?, total: UnsafeRawBufferPointer)
        switch (isHMSG, second, third) {
        case (false, nil, nil): lengths = (nil, first)
        case (false, let total?, nil):
            replyTo = first
            lengths = (nil, total)
        case (true, let total?, nil): lengths = (first, total)
        case (true, let header?, let total?):
            replyTo = first
            lengths = (header, total)
        default: throw malformed()
        }
        guard let total = Self.decimal(lengths.total).flatMap({ Int(exactly: $0) }) else { throw malformed() }
        var headerLength: Int?
        if let header = lengths.header {
            guard let value = Self.decimal(header).flatMap({ Int(exactly: $0) }) else { throw malformed() }
            headerLength = value
        }
        guard total <= maxPayload else { throw .payloadTooLarge(announced: total, limit: maxPayload) }
        if let headerLength, headerLength > total { throw .headerLongerThanMessage(header: headerLength, total: total) }
        return MessageHeader(subject: subject, sid: sid, replyTo: replyTo, headerLength: headerLength, totalLength: total)
    }

    /// A decimal number of at most 18 digits (more is no length a server sends).
    private static func decimal(_ field: UnsafeRawBufferPointer) -> UInt64? {
        guard !field.isEmpty, field.count <= 18 else { return nil }
        var value: UInt64 = 0
        for byte in field {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + UInt64(byte - 0x30)
        }
        return value
    }

    /// The text of `-ERR 'text'`, without the quotes.
    private static func errorText(_ line: UnsafeRawBufferPointer) -> String {
        var text = Substring(String(decoding: line[4...], as: UTF8.self))
        text = text.drop { $0 == " " || $0 == "\t" }
        if text.count >= 2, text.first == "'", text.last == "'" { text = text.dropFirst().dropLast() }
        return String(text)
    }

    private static func decodeInfo(_ json: UnsafeRawBufferPointer) throws(NATSProtocolError) -> NATSServerInfo {
        do {
            return try JSONDecoder().decode(NATSServerInfo.self, from: Data(json))
        } catch {
            throw .malformedInfo(String(describing: error))
        }
    }
}
