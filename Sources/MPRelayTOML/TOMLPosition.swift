/// Where something is in a TOML document: a 1-based line and a 1-based column counted in Unicode
/// scalars, as an editor shows them.
///
/// A byte order mark at the start of the document is not counted, and a CRLF line break counts
/// as one break.
public struct TOMLPosition: Hashable, Sendable, CustomStringConvertible {
    /// The line, from 1.
    public let line: Int
    /// The column, from 1, in Unicode scalars.
    public let column: Int

    /// A position at `line` and `column`, both counted from 1.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `LINE:COLUMN`, the form compilers and editors use after a file name.
    public var description: String { "\(line):\(column)" }
}
