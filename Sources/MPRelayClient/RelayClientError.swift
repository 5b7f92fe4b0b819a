public import MPRelayProtocol

/// Why a ``RelayClient`` call failed.
public struct RelayClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Code: Equatable, Sendable {
        /// The socket could not be created or connected.
        case connectFailed
        /// The handshake failed: usually a wrong authkey.
        case authenticationFailed
        /// The broker refused the HELLO.
        case registrationRefused
        /// The broker closed the connection.
        case closed
        /// A read or write failed, or a frame was invalid.
        case ioFailed
    }

    public let code: Code
    public let message: String
    /// The broker's ERROR, when it sent one.
    public let report: ErrorReport?

    public init(_ code: Code, _ message: String, report: ErrorReport? = nil) {
        self.code = code
        self.message = message
        self.report = report
    }

    public var description: String { message }
}
