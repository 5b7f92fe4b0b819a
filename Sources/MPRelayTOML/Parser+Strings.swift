extension Parser {
    // MARK: - Keys

    /// A key of one or more dot-separated parts, blanks allowed around the dots, at nesting
    /// `depth`: each part nests one level deeper.
    mutating func parseKey(depth: Int) throws(TOMLError) -> [String] {
        var parts = [try keyPart()]
        skipBlanks()
        while peek() == Byte.dot {
            index += 1
            skipBlanks()
            parts.append(try keyPart())
            skipBlanks()
            if depth + parts.count > TOMLTable.maximumNesting {
                throw error("the key \(quoted(parts)) nests deeper than \(TOMLTable.maximumNesting) levels")
            }
        }
        return parts
    }

    /// A bare, basic-quoted or literal-quoted key part.
    private mutating func keyPart() throws(TOMLError) -> String {
        switch peek() {
        case let byte? where Byte.isBareKey(byte):
            let start = index
            while let next = peek(), Byte.isBareKey(next) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        case Byte.quote:
            return try basicString()
        case Byte.apostrophe:
            return try literalString()
        default:
            throw error("expected a key (bare A-Za-z0-9_- or quoted), found \(found())")
        }
    }

    // MARK: - Strings

    /// A string value in any of the four forms; the cursor is on its first quote.
    mutating func parseString() throws(TOMLError) -> String {
        if looking(at: "\"\"\"") { return try multilineString(delimiter: Byte.quote) }
        if looking(at: "'''") { return try multilineString(delimiter: Byte.apostrophe) }
        return peek() == Byte.quote ? try basicString() : try literalString()
    }

    /// `'...'`: no escapes, no line break.
    private mutating func literalString() throws(TOMLError) -> String {
        let start = index
        index += 1
        while true {
            guard let byte = peek(), byte != Byte.lineFeed else {
                throw error("unterminated literal string: a ' string ends on the line it starts", at: start)
            }
            index += 1
            if byte == Byte.apostrophe { return String(decoding: bytes[(start + 1)..<(index - 1)], as: UTF8.self) }
            if Byte.isControl(byte) && byte != Byte.tab {
                throw error("\(Byte.name(byte)) is not allowed in a string", at: index - 1)
            }
        }
    }

    /// `"..."`: escapes, no line break.
    private mutating func basicString() throws(TOMLError) -> String {
        let start = index
        index += 1
        var text: [UInt8] = []
        while true {
            guard let byte = peek(), byte != Byte.lineFeed else {
                throw error("unterminated string: a \" string ends on the line it starts", at: start)
            }
            if byte == Byte.quote {
                index += 1
                return String(decoding: text, as: UTF8.self)
            }
            if byte == Byte.backslash {
                try escape(into: &text, multiline: false)
                continue
            }
            if Byte.isControl(byte) && byte != Byte.tab {
                throw error("\(Byte.name(byte)) is not allowed in a string: write it as an escape", at: index)
            }
            text.append(byte)
            index += 1
        }
    }

    /// `"""..."""` or `'''...'''`: a line break right after the opening delimiter is dropped;
    /// one or two quotes may stand right before the closing three.
    private mutating func multilineString(delimiter: UInt8) throws(TOMLError) -> String {
        let start = index
        index += 3
        if peek() == Byte.lineFeed { index += 1 }
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else {
                let quotes = String(repeating: Character(Unicode.Scalar(delimiter)), count: 3)
                throw error("unterminated multi-line string: no closing \(quotes)", at: start)
            }
            if byte == delimiter, peek(at: index + 1) == delimiter, peek(at: index + 2) == delimiter {
                index += 3
                for _ in 0..<2 where peek() == delimiter {
                    text.append(delimiter)
                    index += 1
                }
                return String(decoding: text, as: UTF8.self)
            }
            if byte == Byte.backslash && delimiter == Byte.quote {
                try escape(into: &text, multiline: true)
                continue
            }
            if Byte.isControl(byte) && byte != Byte.tab && byte != Byte.lineFeed {
                throw error("\(Byte.name(byte)) is not allowed in a string", at: index)
            }
            text.append(byte)
            index += 1
        }
    }

    /// An escape sequence of a basic string; the cursor is on the backslash. In a multi-line
    /// string, a backslash ending a line (blanks may follow it) trims the line break and the
    /// blanks and line breaks after it.
    private mutating func escape(into text: inout [UInt8], multiline: Bool) throws(TOMLError) {
        let start = index
        index += 1
        guard let code = peek() else { throw error("unterminated string after '\\'", at: start) }
        index += 1
        switch code {
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "t"): text.append(Byte.tab)
        case UInt8(ascii: "n"): text.append(Byte.lineFeed)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "r"): text.append(Byte.carriageReturn)
        case Byte.quote: text.append(Byte.quote)
        case Byte.backslash: text.append(Byte.backslash)
        case UInt8(ascii: "u"): try unicodeEscape(digits: 4, into: &text, start: start)
        case UInt8(ascii: "U"): try unicodeEscape(digits: 8, into: &text, start: start)
        case Byte.space, Byte.tab, Byte.lineFeed:
            guard multiline else { throw invalidEscape(code, at: start) }
            index -= 1
            skipBlanks()
            guard peek() == Byte.lineFeed || peek() == nil else {
                throw error("only blanks may follow a line-ending '\\' in a multi-line string, found \(found())")
            }
            while let byte = peek(), byte == Byte.space || byte == Byte.tab || byte == Byte.lineFeed { index += 1 }
        default:
            throw invalidEscape(code, at: start)
        }
    }

    private func invalidEscape(_ code: UInt8, at start: Int) -> TOMLError {
        let shown = Byte.isControl(code) ? Byte.name(code) : String(decoding: [code], as: UTF8.self)
        return error("invalid escape '\\\(shown)': TOML has \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX", at: start)
    }

    /// `\uXXXX` or `\UXXXXXXXX`: exactly `digits` hex digits naming a Unicode scalar value.
    private mutating func unicodeEscape(digits: Int, into text: inout [UInt8], start: Int) throws(TOMLError) {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let digit = Byte.hexValue(peek()) else {
                throw error("\\\(digits == 4 ? "u" : "U") needs exactly \(digits) hex digits", at: start)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error("\\\(digits == 4 ? "u" : "U")\(String(value, radix: 16, uppercase: true)) is not a Unicode scalar value", at: start)
        }
        text.append(contentsOf: Array(String(Character(scalar)).utf8))
    }
}
