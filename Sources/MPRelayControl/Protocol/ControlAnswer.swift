/// One control answer: the command it answers, and either its result or a failure.
///
/// On the wire: `{"version":1,"command":"status","ok":true,"result":{...}}` or
/// `{"version":1,"command":"kick","ok":false,"error":{"code":"unknown_peer","message":"..."}}`.
/// `command` is absent when the request could not be read far enough to know it.
public struct ControlAnswer<Result: Codable & Sendable>: Codable, Sendable {
    /// The protocol version of the daemon that answered.
    public var version: Int
    /// The command answered, if the request named a known one.
    public var command: ControlCommand?
    /// Whether the command succeeded.
    public var ok: Bool
    /// The command's result when ``ok`` is true.
    public var result: Result?
    /// Why the command failed when ``ok`` is false.
    public var error: ControlFailure?

    /// A successful answer.
    public init(command: ControlCommand, result: Result) {
        self.version = ControlProtocol.version
        self.command = command
        self.ok = true
        self.result = result
        self.error = nil
    }

    /// A failed answer.
    public init(command: ControlCommand?, failure: ControlFailure) {
        self.version = ControlProtocol.version
        self.command = command
        self.ok = false
        self.result = nil
        self.error = failure
    }

    /// The result, or the failure thrown.
    ///
    /// - Throws: ``ControlFailure``: the daemon's, or `bad_request` when the answer has neither.
    public func get() throws(ControlFailure) -> Result {
        if ok, let result { return result }
        throw error ?? ControlFailure(.badRequest, "the daemon's answer has neither a result nor an error")
    }
}

/// The result of a failed answer, which has none; also the result type for reading an answer
/// only for its ``ControlAnswer/error``.
public struct NoResult: Codable, Sendable {
    /// The empty result.
    public init() {}
}
