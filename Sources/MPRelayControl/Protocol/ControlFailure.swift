/// Why a control command failed: a stable code for scripts and a sentence for people.
///
/// Sent as the `error` object of an answer whose `ok` is false. Two failures are equal when their
/// codes are; the message is for reading. Codes a newer daemon adds decode as they are.
public struct ControlFailure: Error, Codable, Equatable, Sendable, CustomStringConvertible {
    /// A failure code, as written in the `code` field.
    public struct Code: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
        /// The code as written on the wire, e.g. `unknown_peer`.
        public let rawValue: String

        /// A code from its wire spelling; unknown spellings are kept as they are.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The wire spelling.
        public var description: String { rawValue }

        /// The line is not a JSON object, a field has the wrong type, or a required one is missing.
        public static let badRequest = Code(rawValue: "bad_request")
        /// The request's `version` is not one this daemon speaks.
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        /// The `command` is not one this daemon knows.
        public static let unknownCommand = Code(rawValue: "unknown_command")
        /// An argument is malformed: a peer name, a log level, a reason that is too long.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// No peer of that name is registered.
        public static let unknownPeer = Code(rawValue: "unknown_peer")
        /// The configuration file could not be read or applied; the running one is unchanged.
        public static let reloadRejected = Code(rawValue: "reload_rejected")
        /// The request line is longer than `max_request_bytes`; the daemon closes the connection.
        public static let requestTooLong = Code(rawValue: "request_too_long")
        /// The answer would not fit in `max_answer_bytes`.
        public static let answerTooLarge = Code(rawValue: "answer_too_large")
        /// The caller's user is not allowed to use the control socket; the daemon closes the connection.
        public static let permissionDenied = Code(rawValue: "permission_denied")
        /// `max_clients` control clients are connected; the daemon closes the connection.
        public static let tooManyClients = Code(rawValue: "too_many_clients")
        /// The client did not finish a request line or take its answer within `client_timeout`.
        public static let timeout = Code(rawValue: "timeout")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong and what to do about it.
    public let message: String

    /// Creates a failure with `code` and an explanation.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// Failures are equal when their codes are.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
}
