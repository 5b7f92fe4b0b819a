import Foundation

/// Writes client operations, appending to a byte buffer the caller sends as it likes.
///
/// Subjects arrive validated (``NATSSubject``); lengths are computed here, so an operation on the
/// wire always announces the bytes that follow it.
public enum NATSEncoder {
    static let lineEnd: [UInt8] = [0x0D, 0x0A]
    private static let ping = Array("PING\r\n".utf8)
    private static let pong = Array("PONG\r\n".utf8)
    private static let pub = Array("PUB ".utf8)

    /// `CONNECT {json}`.
    public static func connect(_ payload: NATSConnectPayload, into buffer: inout [UInt8]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, booleans and an integer cannot fail.
        let json = try! encoder.encode(payload)
        buffer.append(contentsOf: Array("CONNECT ".utf8))
        buffer.append(contentsOf: json)
        buffer.append(contentsOf: lineEnd)
    }

    /// `PUB subject [reply] #bytes`, then the payload; or `HPUB` when there are headers.
    ///
    /// - Throws: ``NATSProtocolError/invalidHeader(name:)`` for a header that cannot be written.
    public static func publish(
        _ subject: NATSSubject,
        replyTo: NATSSubject? = nil,
        headers: NATSHeaders? = nil,
        payload: UnsafeRawBufferPointer,
        into buffer: inout [UInt8]
    ) throws(NATSProtocolError) {
        guard let headers else {
            buffer.append(contentsOf: pub)
            appendSubjects(subject, replyTo, into: &buffer)
            appendDecimal(payload.count, to: &buffer)
            buffer.append(contentsOf: lineEnd)
            buffer.append(contentsOf: payload)
            buffer.append(contentsOf: lineEnd)
            return
        }
        var block: [UInt8] = []
        try headers.encode(into: &block)
        buffer.append(contentsOf: Array("HPUB ".utf8))
        appendSubjects(subject, replyTo, into: &buffer)
        appendDecimal(block.count, to: &buffer)
        buffer.append(0x20)
        appendDecimal(block.count + payload.count, to: &buffer)
        buffer.append(contentsOf: lineEnd)
        buffer.append(contentsOf: block)
        buffer.append(contentsOf: payload)
        buffer.append(contentsOf: lineEnd)
    }

    /// `PUB`/`HPUB` of a byte array.
    public static func publish(
        _ subject: NATSSubject,
        replyTo: NATSSubject? = nil,
        headers: NATSHeaders? = nil,
        payload: [UInt8],
        into buffer: inout [UInt8]
    ) throws(NATSProtocolError) {
        let failure = payload.withUnsafeBytes { bytes -> NATSProtocolError? in
            do throws(NATSProtocolError) {
                try publish(subject, replyTo: replyTo, headers: headers, payload: bytes, into: &buffer)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// `SUB subject [queue] sid`.
    ///
    /// - Throws: ``NATSProtocolError/invalidQueueGroup(_:)``.
    public static func subscribe(
        _ subject: NATSSubject,
        queueGroup: String? = nil,
        sid: UInt64,
        into buffer: inout [UInt8]
    ) throws(NATSProtocolError) {
        let group = try queueGroup.map { (group) throws(NATSProtocolError) in try validateQueueGroup(group) }
        buffer.append(contentsOf: Array("SUB ".utf8))
        buffer.append(contentsOf: subject.bytes)
        buffer.append(0x20)
        if let group {
            buffer.append(contentsOf: group)
            buffer.append(0x20)
        }
        appendDecimal(Int(sid), to: &buffer)
        buffer.append(contentsOf: lineEnd)
    }

    /// `UNSUB sid [max]`: with `max`, the server removes the subscription after that many
    /// messages in all.
    public static func unsubscribe(sid: UInt64, afterMessages max: Int? = nil, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: Array("UNSUB ".utf8))
        appendDecimal(Int(sid), to: &buffer)
        if let max {
            buffer.append(0x20)
            appendDecimal(max, to: &buffer)
        }
        buffer.append(contentsOf: lineEnd)
    }

    /// `PING`.
    public static func ping(into buffer: inout [UInt8]) { buffer.append(contentsOf: ping) }

    /// `PONG`.
    public static func pong(into buffer: inout [UInt8]) { buffer.append(contentsOf: pong) }

    private static func appendSubjects(_ subject: NATSSubject, _ replyTo: NATSSubject?, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: subject.bytes)
        buffer.append(0x20)
        if let replyTo {
            buffer.append(contentsOf: replyTo.bytes)
            buffer.append(0x20)
        }
    }

    /// Appends a non-negative `value` in decimal without building a String.
    private static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        precondition(value >= 0)
        appendDecimal(UInt64(value), to: &buffer)
    }

    /// Appends `value` in decimal ASCII digits, as subjects and lengths write numbers.
    public static func appendDecimal(_ value: UInt64, to buffer: inout [UInt8]) {
        // The digits, last first, into a stack buffer: one division per digit.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
            } while rest > 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }
}
