/// Why bytes from a NATS server, or a value for a client operation, break the NATS text protocol.
///
/// Every parse error is fatal for the connection: the stream can no longer be split into
/// operations, so the client closes it (and reconnects).
public enum NATSProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A control line ran past the limit without its `\r\n`.
    case controlLineTooLong(limit: Int)
    /// The line starts with no operation the client knows.
    case unknownOperation(String)
    /// `MSG`/`HMSG` with the wrong number of arguments, or a number that is not one.
    case malformedArguments(operation: String, line: String)
    /// A message announced more bytes than the server's `max_payload` allows.
    case payloadTooLarge(announced: Int, limit: Int)
    /// `HMSG` announced a header block longer than the whole message.
    case headerLongerThanMessage(header: Int, total: Int)
    /// The payload was not followed by `\r\n`.
    case missingPayloadTerminator(subject: String)
    /// The header block does not start with `NATS/1.0`, has a line without `:`, or no blank line.
    case malformedHeaders(subject: String, detail: String)
    /// `INFO` carried JSON the client cannot read.
    case malformedInfo(String)
    /// A subject for a client operation is empty, has an empty token, white space, or a wildcard
    /// where none is allowed.
    case invalidSubject(String)
    /// A queue group name is empty or holds white space.
    case invalidQueueGroup(String)
    /// A header name or value cannot be written (CR, LF, or `:`/space in a name).
    case invalidHeader(name: String)

    public var description: String {
        switch self {
        case .controlLineTooLong(let limit):
            return "NATS control line longer than \(limit) bytes"
        case .unknownOperation(let line):
            return "unknown NATS operation in line '\(line)'"
        case .malformedArguments(let operation, let line):
            return "malformed \(operation) arguments in line '\(line)'"
        case .payloadTooLarge(let announced, let limit):
            return "NATS message of \(announced) bytes exceeds max_payload \(limit)"
        case .headerLongerThanMessage(let header, let total):
            return "HMSG header of \(header) bytes is longer than the message of \(total)"
        case .missingPayloadTerminator(let subject):
            return "NATS message on '\(subject)' is not followed by CRLF"
        case .malformedHeaders(let subject, let detail):
            return "malformed headers of the message on '\(subject)': \(detail)"
        case .malformedInfo(let detail):
            return "unreadable INFO from the server: \(detail)"
        case .invalidSubject(let subject):
            return "invalid NATS subject '\(subject)'"
        case .invalidQueueGroup(let group):
            return "invalid NATS queue group '\(group)'"
        case .invalidHeader(let name):
            return "invalid NATS header '\(name)'"
        }
    }
}
