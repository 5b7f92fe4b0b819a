import MPRelayTOML
import Testing

@Suite("TOML: invalid documents")
struct InvalidDocumentTests {
    /// A document, where its error must be, and a fragment of the message.
    struct Case: CustomTestStringConvertible, Sendable {
        let bytes: [UInt8]
        let line: Int
        let column: Int
        let fragment: String

        init(_ text: String, _ line: Int, _ column: Int, _ fragment: String) {
            self.init(bytes: Array(text.utf8), line, column, fragment)
        }

        init(bytes: [UInt8], _ line: Int, _ column: Int, _ fragment: String) {
            self.bytes = bytes
            self.line = line
            self.column = column
            self.fragment = fragment
        }

        var testDescription: String { String(decoding: bytes, as: UTF8.self).debugDescription }
    }

    static let syntax: [Case] = [
        // The inputs that aborted TOMLKit.
        Case("[=\n", 1, 2, "expected a key"),
        Case("b=[1,}\n", 1, 6, "expected a value"),
        Case("t=1979-05-27T:\n", 1, 13, "end of the line"),
        Case("d = 1979-05-27 9 \n", 1, 16, "end of the line"),
        Case("b = [1, \u{2028}]", 1, 9, "expected a value"),
        // Keys and statements.
        Case("a = 1\nb\n", 2, 2, "expected '='"),
        Case("= 1", 1, 1, "expected a key"),
        Case("a = 1 b = 2", 1, 7, "end of the line"),
        Case("a.  = 1", 1, 5, "expected a key"),
        Case("[a]]\n", 1, 4, "end of the line"),
        Case("[[a]\n", 1, 4, "']]'"),
        Case("[a\nb = 1", 1, 3, "']'"),
        Case("é = 1", 1, 1, "expected a key"),
        Case("a = \n", 1, 5, "expected a value"),
        // Strings.
        Case("s = \"abc\n", 1, 5, "unterminated string"),
        Case("s = 'abc", 1, 5, "unterminated literal"),
        Case("s = \"\"\"abc", 1, 5, "no closing"),
        Case("s = \"\\x41\"", 1, 6, "invalid escape"),
        Case("s = \"\\uD800\"", 1, 6, "not a Unicode scalar"),
        Case("s = \"\\u12\"", 1, 6, "exactly 4 hex digits"),
        Case("s = \"a\u{7F}\"", 1, 7, "U+007F"),
        Case("s = \"\"\"a\rb\"\"\"", 1, 9, "U+000D"),
        Case("s = \"\"\"a\\  b\"\"\"", 1, 12, "only blanks"),
        Case("# a\u{0}comment", 1, 4, "U+0000"),
        // Numbers.
        Case("n = 0123", 1, 6, "end of the line"),
        Case("n = 1__0", 1, 6, "end of the line"),
        Case("n = 1.", 1, 6, "end of the line"),
        Case("n = .5", 1, 5, "expected a value"),
        Case("n = +0x10", 1, 7, "end of the line"),
        Case("n = 9223372036854775808", 1, 5, "64-bit"),
        Case("n = -9223372036854775809", 1, 5, "64-bit"),
        Case("n = 0x8000000000000000", 1, 5, "64-bit"),
        Case("n = infinity", 1, 8, "end of the line"),
        // Dates and times.
        Case("d = 2023-02-29", 1, 5, "not a date"),
        Case("d = 0000-01-01", 1, 5, "not a date"),
        Case("d = 1979-05-27T07:32", 1, 15, "end of the line"),
        Case("t = 24:00:00", 1, 7, "end of the line"),
        Case("d = 1979-05-27T07:32:00+7:00", 1, 24, "end of the line"),
        // Arrays and inline tables.
        Case("a = [1 2]", 1, 8, "expected ',' or ']'"),
        Case("a = [1,", 1, 8, "expected a value"),
        Case("a = [1", 1, 7, "unterminated array"),
        Case("t = {a = 1,}", 1, 12, "no comma after its last"),
        Case("t = {a = 1\n}", 1, 11, "inline table"),
        Case("t = {a = 1, a = 2}", 1, 13, "already defined"),
    ]

    static let redefinitions: [Case] = [
        Case("a = 1\na = 2", 2, 1, "already defined"),
        Case("[a]\n[a]", 2, 2, "defined twice"),
        Case("[a.b]\n[a]\nb = 1", 3, 1, "already defined"),
        Case("a.b = 1\n[a]", 2, 2, "defined twice"),
        Case("[a]\nb.c = 1\n[a.b]", 3, 2, "defined twice"),
        Case("[a.b]\n[a]\nb.c = 1", 3, 1, "defined elsewhere"),
        Case("a = {}\n[a]", 2, 2, "not a table"),
        Case("a = {b = 1}\na.c = 2", 2, 1, "not a table"),
        Case("a = {b = {}}\n[a.b]", 2, 2, "not a table"),
        Case("a = []\n[[a]]", 2, 3, "array of tables"),
        Case("[a]\n[[a]]", 2, 3, "array of tables"),
        Case("[[a]]\n[a]", 2, 2, "defined twice"),
        Case("a = 1\n[a.b]", 2, 2, "not a table"),
        Case("t = {a.b = 1, a = 2}", 1, 15, "already defined"),
        Case("t = {a = {b = 1}, a.c = 2}", 1, 19, "not a table"),
    ]

    @Test(arguments: syntax + redefinitions)
    func isRefusedWithItsPosition(_ example: Case) {
        do {
            let table = try TOMLTable(parsing: example.bytes)
            Issue.record("accepted, as \(table)")
        } catch {
            #expect(error.position == TOMLPosition(line: example.line, column: example.column), "\(error)")
            #expect(error.message.contains(example.fragment), "\(error)")
        }
    }

    @Test func invalidUTF8IsRefusedWhereItIs() {
        for bytes: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            let document = Array("a = 1\ns = \"é".utf8) + bytes + Array("\"".utf8)
            #expect {
                try TOMLTable(parsing: document)
            } throws: { error in
                let error = error as! TOMLError
                return error.position == TOMLPosition(line: 2, column: 7) && error.message.contains("UTF-8")
            }
        }
    }

    @Test func nestingPastTheLimitIsRefused() {
        let depth = TOMLTable.maximumNesting
        let cases = [
            "a = " + String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1),
            "a = " + String(repeating: "{b=", count: depth) + "1" + String(repeating: "}", count: depth),
            (0...depth).map { "k\($0)" }.joined(separator: ".") + " = 1",
            "[" + (0...depth).map { "k\($0)" }.joined(separator: ".") + "]",
            // Far past the limit: refused at the limit, without exhausting the stack.
            "a = " + String(repeating: "[", count: 100_000),
        ]
        for text in cases {
            #expect {
                try TOMLTable(parsing: Array(text.utf8))
            } throws: { error in
                (error as! TOMLError).message.contains("deeper than \(depth)")
            }
        }
    }
}
