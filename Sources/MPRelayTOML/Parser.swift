/// A recursive-descent TOML 1.0 parser over UTF-8 bytes.
///
/// The document is first made uniform: a leading byte order mark is dropped and every CRLF
/// becomes LF (TOML 1.0 lets a parser normalise newlines, in strings too), then checked to be
/// UTF-8, then parsed one statement (key/value pair, table header or comment line) at a time.
/// The redefinition rules live in ``DocumentBuilder``.
struct Parser {
    /// The normalised document.
    let bytes: [UInt8]
    /// The next byte to read.
    var index = 0
    /// The offsets at which lines start, for positions.
    private let lineStarts: [Int]
    /// The last position computed, so that positions asked for in document order cost the
    /// bytes since the previous one, not since the start of the line: a document of one long
    /// line stays linear.
    private let lastPosition = PositionCache()

    init(bytes input: some Collection<UInt8>) {
        var normalised: [UInt8] = []
        normalised.reserveCapacity(input.count)
        var rest = input[...]
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        var previous: UInt8?
        for byte in rest {
            if let held = previous, !(held == Byte.carriageReturn && byte == Byte.lineFeed) {
                normalised.append(held)
            }
            previous = byte
        }
        if let held = previous { normalised.append(held) }
        bytes = normalised
        var starts = [0]
        for (offset, byte) in normalised.enumerated() where byte == Byte.lineFeed { starts.append(offset + 1) }
        lineStarts = starts
    }

    // MARK: - The document

    /// Parses the whole document.
    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        try checkEncoding()
        let document = DocumentBuilder()
        var header: [String] = []
        while true {
            skipBlanks()
            guard let byte = peek() else { break }
            if byte == Byte.lineFeed {
                index += 1
                continue
            }
            var statement = "a comment"
            if Byte.startsKey(byte) {
                let key = try keyValueStatement(header: header, into: document)
                statement = "the value of \(quoted(key))"
                skipBlanks()
            } else if byte == Byte.openBracket {
                document.closeDottedKeys()
                header = peek(at: index + 1) == Byte.openBracket
                    ? try arrayOfTablesHeader(into: document) : try tableHeader(into: document)
                statement = "the header of \(quoted(header))"
                skipBlanks()
            } else if byte != Byte.hash {
                throw error("expected a key, a [table] header or a comment, found \(found())")
            }
            try skipComment()
            guard let end = peek() else { break }
            guard end == Byte.lineFeed else {
                throw error("expected the end of the line after \(statement), found \(found())")
            }
            index += 1
        }
        return document.finish()
    }

    /// `key = value` under the table `header`; returns the key.
    private mutating func keyValueStatement(header: [String], into document: DocumentBuilder) throws(TOMLError) -> [String] {
        let (key, node) = try keyValuePair(depth: header.count)
        try document.insert(node, at: key, under: header)
        return key
    }

    /// `[key]`: returns the new header.
    private mutating func tableHeader(into document: DocumentBuilder) throws(TOMLError) -> [String] {
        index += 1
        skipBlanks()
        let position = self.position()
        let key = try parseKey(depth: 0)
        try document.defineTable(key, at: position)
        guard peek() == Byte.closeBracket else { throw error("expected ']' to end the table header, found \(found())") }
        index += 1
        return key
    }

    /// `[[key]]`: returns the new header.
    private mutating func arrayOfTablesHeader(into document: DocumentBuilder) throws(TOMLError) -> [String] {
        index += 2
        skipBlanks()
        let position = self.position()
        let key = try parseKey(depth: 0)
        try document.appendTable(key, at: position)
        guard peek() == Byte.closeBracket, peek(at: index + 1) == Byte.closeBracket else {
            throw error("expected ']]' to end the array-of-tables header, found \(found())")
        }
        index += 2
        return key
    }

    /// `key = value`, as a statement or inside an inline table at nesting `depth`: the key's
    /// parts and the value, positioned where the key starts.
    mutating func keyValuePair(depth: Int) throws(TOMLError) -> (key: [String], value: TOMLNode) {
        let position = self.position()
        let key = try parseKey(depth: depth)
        guard peek() == Byte.equals else {
            throw error("expected '=' after the key \(quoted(key)), found \(found())")
        }
        index += 1
        skipBlanks()
        let value = try parseValue(depth: depth + key.count)
        return (key, TOMLNode(value: value, position: position))
    }

    // MARK: - Cursor

    /// The byte at `offset` (default: the next one), or nil at the end.
    func peek(at offset: Int? = nil) -> UInt8? {
        let offset = offset ?? index
        return offset < bytes.count ? bytes[offset] : nil
    }

    /// Whether the bytes at the cursor are `text`.
    func looking(at text: String) -> Bool {
        bytes[index...].starts(with: text.utf8)
    }

    /// Skips spaces and tabs.
    mutating func skipBlanks() {
        while let byte = peek(), byte == Byte.space || byte == Byte.tab { index += 1 }
    }

    /// Skips a comment up to (not including) its line feed, refusing control characters in it.
    mutating func skipComment() throws(TOMLError) {
        guard peek() == Byte.hash else { return }
        index += 1
        while let byte = peek(), byte != Byte.lineFeed {
            if Byte.isControl(byte) && byte != Byte.tab {
                throw error("\(Byte.name(byte)) is not allowed in a comment")
            }
            index += 1
        }
    }

    // MARK: - Positions and errors

    /// The line and column of `offset` (default: the cursor).
    func position(of offset: Int? = nil) -> TOMLPosition {
        let offset = min(offset ?? index, bytes.count)
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        var start = lineStarts[low]
        var column = 1
        if lastPosition.line == low, lastPosition.offset >= start, lastPosition.offset <= offset {
            start = lastPosition.offset
            column = lastPosition.column
        }
        column += bytes[start..<offset].count { $0 & 0xC0 != 0x80 }
        lastPosition.line = low
        lastPosition.offset = offset
        lastPosition.column = column
        return TOMLPosition(line: low + 1, column: column)
    }

    /// An error at `offset` (default: the cursor).
    func error(_ message: String, at offset: Int? = nil) -> TOMLError {
        TOMLError(position: position(of: offset), message: message)
    }

    /// What is at the cursor, for "expected X, found Y".
    func found() -> String {
        guard let byte = peek() else { return "the end of the document" }
        if byte == Byte.lineFeed { return "the end of the line" }
        if byte < 0x80 { return Byte.isControl(byte) ? Byte.name(byte) : "'\(Character(Unicode.Scalar(byte)))'" }
        var end = index + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'\(String(decoding: bytes[index..<end], as: UTF8.self))'"
    }

    /// A dotted key as TOML would write it, for messages.
    func quoted(_ key: [String]) -> String {
        "\"" + key.joined(separator: ".") + "\""
    }

    /// Refuses anything that is not UTF-8, naming where the first bad byte is.
    private func checkEncoding() throws(TOMLError) {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
            case .emptyInput:
                return
            case .error(let length):
                throw error("the document is not valid UTF-8 (byte 0x\(String(bytes[offset], radix: 16, uppercase: true)) at offset \(offset), \(length) byte(s))", at: offset)
            }
        }
    }
}

/// The offset, line index and column of the last position a ``Parser`` computed.
final class PositionCache {
    var offset = 0
    var line = 0
    var column = 1
}
