import Dispatch
import MPRelayConfig
import MPRelayControl

/// The bounds one control client is held to, fixed when it connects.
struct ControlLimits: Sendable {
    /// The longest request line, newline included.
    let maxRequestBytes: Int
    /// Answer bytes that may wait unread.
    let maxAnswerBytes: Int
    /// Time to complete a request line, and to take a whole answer.
    let timeout: DispatchTimeInterval

    init(_ configuration: ControlConfig) {
        maxRequestBytes = configuration.maxRequestBytes
        maxAnswerBytes = configuration.maxAnswerBytes
        timeout = .nanoseconds(Int(configuration.clientTimeout * 1e9))
    }
}
