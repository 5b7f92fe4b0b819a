/// Why the monitoring HTTP server could not listen, naming the address at fault.
public struct MonitoringServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The `[http] listen` address the server tried.
    public let address: String
    /// What failed, e.g. the bind error.
    public let reason: String

    /// Creates an error for `address`.
    public init(address: String, reason: String) {
        self.address = address
        self.reason = reason
    }

    /// `http.listen 127.0.0.1:8222: cannot listen: Address already in use (errno: 98)`.
    public var description: String { "http.listen \(address): cannot listen: \(reason)" }
}
