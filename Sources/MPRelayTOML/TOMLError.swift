/// Why a document is not TOML 1.0, and where: the first problem the parser met.
///
/// The parser stops at the first problem, so a document has at most one error.
public struct TOMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where the problem is.
    public let position: TOMLPosition
    /// What is wrong, in words meant for whoever edits the file, e.g. `expected '=' after the
    /// key "port", found '}'`.
    public let message: String

    /// An error at `position` saying `message`.
    public init(position: TOMLPosition, message: String) {
        self.position = position
        self.message = message
    }

    /// `LINE:COLUMN: message`, to be prefixed with the file name.
    public var description: String { "\(position): \(message)" }
}
