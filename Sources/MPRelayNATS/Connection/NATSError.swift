import Glibc

/// Why a NATS operation failed: the connection, the server, or a JetStream call.
public enum NATSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `nats://` URL that cannot be read.
    case invalidURL(String)
    /// A socket call failed for the server at `url`.
    case socket(url: String, operation: String, errno: Int32)
    /// None of the servers could be reached; each server's failure is listed, in order.
    indirect case noServerAvailable([NATSError])
    /// The server closed the connection or sent an error during the handshake.
    case handshake(url: String, detail: String)
    /// TLS with the server at `url` failed: the handshake was cut short, or a record was bad.
    case tls(url: String, detail: String)
    /// The server at `url` turned this client away for a reason that trying again does not
    /// change: a certificate one side does not trust, TLS wanted by one side only, or
    /// credentials the server does not accept (``isPermanent``).
    case refused(url: String, detail: String)
    /// The connection was closed by ``NATSConnection/close()``.
    case closed
    /// The connection is down and the operation cannot wait for the next server.
    case disconnected
    /// The server sent bytes that break the protocol.
    case protocolViolation(NATSProtocolError)
    /// `operation` got no answer in time.
    case timeout(operation: String)
    /// Nobody is subscribed to the subject a request went to (status 503).
    case noResponders(subject: String)
    /// While no server is up, publications are held up to `limit` bytes; this one did not fit.
    case pendingBufferFull(limit: Int)
    /// A JetStream API call failed: the API's HTTP-like code, its own error code and text.
    case jetStream(subject: String, code: Int, errorCode: Int, description: String)
    /// A JetStream answer that is not the JSON the API documents.
    case malformedResponse(subject: String, detail: String)
    /// A key-value `create` found the key present.
    case keyExists(bucket: String, key: String)
    /// A revision-checked key-value call found another revision.
    case wrongRevision(bucket: String, key: String, expected: UInt64)
    /// A key-value key is empty, or holds characters a key may not.
    case invalidKey(String)

    public var description: String {
        switch self {
        case .invalidURL(let url): return "invalid NATS server URL '\(url)' (expected nats://host:port or tls://host:port)"
        case .socket(let url, let operation, let errno):
            return "\(operation) to \(url) failed: \(String(cString: strerror(errno)))"
        case .noServerAvailable(let failures):
            return "no NATS server available: \(failures.map(\.description).joined(separator: "; "))"
        case .handshake(let url, let detail): return "NATS handshake with \(url) failed: \(detail)"
        case .tls(let url, let detail): return "TLS with NATS server \(url) failed: \(detail)"
        case .refused(let url, let detail): return "NATS server \(url) refused this client: \(detail)"
        case .closed: return "the NATS connection is closed"
        case .disconnected: return "the NATS connection is down, reconnecting"
        case .protocolViolation(let error): return "NATS protocol violation: \(error)"
        case .timeout(let operation): return "NATS \(operation) timed out"
        case .noResponders(let subject): return "no responders on NATS subject '\(subject)'"
        case .pendingBufferFull(let limit):
            return "NATS is unreachable and the \(limit)-byte buffer for publications made meanwhile is full"
        case .jetStream(let subject, let code, let errorCode, let description):
            return "JetStream call \(subject) failed: \(description) (status \(code), error \(errorCode))"
        case .malformedResponse(let subject, let detail): return "unreadable JetStream answer to \(subject): \(detail)"
        case .keyExists(let bucket, let key): return "key '\(key)' already exists in bucket \(bucket)"
        case .wrongRevision(let bucket, let key, let expected):
            return "key '\(key)' in bucket \(bucket) is not at revision \(expected)"
        case .invalidKey(let key): return "invalid key-value key '\(key)'"
        }
    }

    /// Whether trying again with the same servers and settings cannot succeed: a URL that does
    /// not parse, a refusal (``refused(url:detail:)``), or every server of the list refusing.
    /// A server that is down, slow or cut off is not permanent: it may come back.
    public var isPermanent: Bool {
        switch self {
        case .invalidURL, .refused: return true
        case .noServerAvailable(let failures): return !failures.isEmpty && failures.allSatisfy(\.isPermanent)
        default: return false
        }
    }
}
