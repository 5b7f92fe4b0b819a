/// Why a benchmark run failed, with the step and the thing at fault in its message.
struct BenchError: Error, Equatable, CustomStringConvertible {
    /// The kinds of failure.
    enum Code: Equatable {
        /// The options do not describe a run that can be done.
        case usage
        /// Connecting, authenticating, registering or subscribing failed.
        case setup
        /// A read or write failed, or the server closed a connection.
        case io
        /// The server sent something the client cannot parse.
        case protocolViolation
        /// A deadline or the stall timeout passed before the run finished.
        case timedOut
        /// Messages were lost, duplicated, reordered or corrupted.
        case verificationFailed
    }

    let code: Code
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }

    static func == (lhs: BenchError, rhs: BenchError) -> Bool { lhs.code == rhs.code }
}
