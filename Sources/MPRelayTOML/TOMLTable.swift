/// A TOML table: keys, each with a positioned value. A whole document is one.
public struct TOMLTable: Equatable, Sendable {
    /// The entries by key.
    public let entries: [String: TOMLNode]

    /// A table with `entries`.
    public init(entries: [String: TOMLNode]) {
        self.entries = entries
    }

    /// The keys, sorted, so that a reader that reports the first bad key reports the same one
    /// every time.
    public var keys: [String] { entries.keys.sorted() }

    /// The value under `key`, or nil.
    public subscript(key: String) -> TOMLNode? { entries[key] }

    /// Parses a TOML 1.0 document.
    ///
    /// Any bytes are safe to pass: invalid UTF-8, control characters, unterminated constructs,
    /// deep nesting (refused past ``TOMLTable/maximumNesting`` levels) and huge numbers all give
    /// a ``TOMLError``; nothing traps.
    ///
    /// - Parameter bytes: the document, UTF-8, optionally starting with a byte order mark.
    /// - Throws: ``TOMLError`` with the line and column of the first problem.
    public init(parsing bytes: some Collection<UInt8>) throws(TOMLError) {
        var parser = Parser(bytes: bytes)
        self = try parser.parseDocument()
    }

    /// The deepest nesting of tables and arrays the parser accepts, counting each table header
    /// key part, dotted key part, array and inline table; the limit keeps the parser's recursion
    /// within any thread's stack.
    public static let maximumNesting = 32
}
