/// Why a byte stream could not be split into frames. Each is fatal for the connection.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The header announced more bytes than the receiver accepts; the body was not read.
    case tooLarge(announced: UInt64, limit: Int)
    /// The 4-byte header held a negative length other than the `-1` escape.
    case negativeLength(Int32)

    public var description: String {
        switch self {
        case .tooLarge(let announced, let limit):
            return "frame length \(announced) exceeds the limit of \(limit) bytes"
        case .negativeLength(let value):
            return "frame length \(value) is negative"
        }
    }
}
