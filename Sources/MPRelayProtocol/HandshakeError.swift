/// Why a handshake failed. The text never contains key material.
public struct HandshakeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds of failure, stable for callers that branch on them.
    public enum Code: Equatable, Sendable {
        /// The peer's reply did not match any accepted key.
        case wrongKey
        /// The peer replied with the legacy HMAC-MD5 form, which this endpoint refuses.
        case legacyRefused
        /// The peer's reply used a digest weaker than this endpoint's minimum.
        case digestTooWeak
        /// A frame did not have the shape the protocol requires at this step.
        case malformed
        /// The peer answered our reply with `#FAILURE#` or something other than `#WELCOME#`.
        case rejectedByPeer
        /// A frame arrived after the handshake had already finished or failed.
        case unexpectedFrame
    }

    /// What went wrong.
    public let code: Code
    /// A sentence a user can act on.
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
}
