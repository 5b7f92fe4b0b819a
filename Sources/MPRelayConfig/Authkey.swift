/// The secret a client must prove it holds, with where it came from for log lines.
///
/// Its description names the origin, never the bytes.
public struct Authkey: Equatable, Sendable, CustomStringConvertible {
    /// The key material.
    public let bytes: [UInt8]
    /// Where it came from: `file /etc/mprelay/authkey`, `credential authkey`, `inline authkey`.
    public let origin: String

    /// The largest key file read; a longer file is refused, never read whole.
    public static let maximumFileBytes = 65_536

    /// A key of `bytes`, described by `origin` in log lines.
    public init(bytes: [UInt8], origin: String) {
        self.bytes = bytes
        self.origin = origin
    }

    /// `authkey from ORIGIN`, never the key itself.
    public var description: String { "authkey from \(origin)" }
}
