extension Parser {
    /// A value at nesting `depth` (the number of tables and arrays around it).
    mutating func parseValue(depth: Int) throws(TOMLError) -> TOMLValue {
        guard depth <= TOMLTable.maximumNesting else {
            throw error("the value nests deeper than \(TOMLTable.maximumNesting) levels of tables and arrays")
        }
        switch peek() {
        case Byte.quote, Byte.apostrophe:
            return .string(try parseString())
        case Byte.openBracket:
            return try parseArray(depth: depth)
        case Byte.openBrace:
            return try parseInlineTable(depth: depth)
        case UInt8(ascii: "t") where looking(at: "true"):
            index += 4
            return .boolean(true)
        case UInt8(ascii: "f") where looking(at: "false"):
            index += 5
            return .boolean(false)
        default:
            if let dateTime = try parseDateTime() { return dateTime }
            if let time = parseTime() { return .localTime(time) }
            if let number = try parseNumber() { return number }
            throw error("expected a value (string, number, true, false, date, time, array or inline table), found \(found())")
        }
    }

    /// `[ value, value, ]`: line breaks and comments allowed between the elements, a trailing
    /// comma allowed.
    private mutating func parseArray(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = index
        index += 1
        var elements: [TOMLNode] = []
        try skipArraySpace()
        while peek() != Byte.closeBracket {
            let position = self.position()
            elements.append(TOMLNode(value: try parseValue(depth: depth + 1), position: position))
            try skipArraySpace()
            if peek() == Byte.comma {
                index += 1
                try skipArraySpace()
            } else if peek() != Byte.closeBracket {
                throw error(
                    peek() == nil
                        ? "unterminated array: no ']' for the '[' at \(self.position(of: start))"
                        : "expected ',' or ']' after an array element, found \(found())"
                )
            }
        }
        index += 1
        return .array(elements)
    }

    /// Blanks, line breaks and comments, as allowed between array elements.
    private mutating func skipArraySpace() throws(TOMLError) {
        while true {
            let before = index
            while let byte = peek(), byte == Byte.space || byte == Byte.tab || byte == Byte.lineFeed { index += 1 }
            try skipComment()
            if index == before { return }
        }
    }

    /// `{ key = value, key = value }`: on one line (a value inside may span lines), no trailing
    /// comma, closed to any later addition.
    private mutating func parseInlineTable(depth: Int) throws(TOMLError) -> TOMLValue {
        index += 1
        let table = DocumentBuilder(inline: true)
        skipBlanks()
        if peek() == Byte.closeBrace {
            index += 1
            return .table(table.finish())
        }
        while true {
            let (key, node) = try keyValuePair(depth: depth)
            try table.insert(node, at: key, under: [])
            skipBlanks()
            if peek() == Byte.closeBrace {
                index += 1
                return .table(table.finish())
            }
            guard peek() == Byte.comma else {
                throw error("expected ',' or '}' in an inline table (which stays on one line), found \(found())")
            }
            index += 1
            skipBlanks()
            if peek() == Byte.closeBrace { throw error("an inline table takes no comma after its last entry") }
        }
    }
}
