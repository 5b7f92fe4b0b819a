import MPRelayTOML
import Testing

@Suite("TOML: valid documents")
struct ValidDocumentTests {
    private func parse(_ text: String) throws -> TOMLTable {
        try TOMLTable(parsing: Array(text.utf8))
    }

    /// The value at a dotted path of plain names.
    private func value(_ table: TOMLTable, _ path: String) -> TOMLValue? {
        var current = TOMLValue.table(table)
        for name in path.split(separator: ".") {
            guard case .table(let inner) = current, let next = inner[String(name)] else { return nil }
            current = next.value
        }
        return current
    }

    @Test func stringsInEveryForm() throws {
        let table = try parse(#"""
            basic = "tab\there \"q\" \\ \u00E9 \U0001F600 \b\f\r\n"
            literal = 'C:\Users\nobody'
            quoted_hash = "# not a comment" # a comment
            multi = """
            one
            two"""
            trimmed = """\
                  a \
                  b"""
            quotes = """x""""
            raw = '''
            first 'line'
            second'''''
            empty = ""
            """#)
        #expect(value(table, "basic") == .string("tab\there \"q\" \\ é 😀 \u{8}\u{C}\r\n"))
        #expect(value(table, "literal") == .string(#"C:\Users\nobody"#))
        #expect(value(table, "quoted_hash") == .string("# not a comment"))
        #expect(value(table, "multi") == .string("one\ntwo"))
        #expect(value(table, "trimmed") == .string("a b"))
        #expect(value(table, "quotes") == .string("x\""))
        #expect(value(table, "raw") == .string("first 'line'\nsecond''"))
        #expect(value(table, "empty") == .string(""))
    }

    @Test func integersAndFloats() throws {
        let table = try parse("""
            a = +99
            b = -17
            c = 1_000_000
            d = 0xDEAD_beef
            e = 0o755
            f = 0b1101
            max = 9223372036854775807
            min = -9223372036854775808
            g = 6.626e-34
            h = -0.0
            i = 1e1_0
            j = -inf
            k = nan
            l = 3.14_15
            """)
        #expect(value(table, "a") == .integer(99))
        #expect(value(table, "b") == .integer(-17))
        #expect(value(table, "c") == .integer(1_000_000))
        #expect(value(table, "d") == .integer(0xDEADBEEF))
        #expect(value(table, "e") == .integer(0o755))
        #expect(value(table, "f") == .integer(13))
        #expect(value(table, "max") == .integer(.max))
        #expect(value(table, "min") == .integer(.min))
        #expect(value(table, "g") == .float(6.626e-34))
        #expect(value(table, "i") == .float(1e10))
        #expect(value(table, "j") == .float(-.infinity))
        #expect(value(table, "l") == .float(3.1415))
        guard case .float(let nan) = value(table, "k"), case .float(let zero) = value(table, "h") else {
            Issue.record("nan or -0.0 is not a float")
            return
        }
        #expect(nan.isNaN)
        #expect(zero == 0 && zero.sign == .minus)
    }

    @Test func datesAndTimes() throws {
        let table = try parse("""
            odt = 1979-05-27T07:32:00.999999999-07:00
            utc = 1979-05-27 07:32:00z
            ldt = 2024-02-29t23:59:59
            ld = 2000-02-29
            lt = 00:32:00.5
            """)
        guard case .offsetDateTime(let date, let time, let offset) = value(table, "odt") else {
            Issue.record("odt: \(String(describing: value(table, "odt")))")
            return
        }
        #expect(date.description == "1979-05-27" && time.description == "07:32:00.999999999" && offset == -420)
        guard case .offsetDateTime(_, _, 0) = value(table, "utc") else { Issue.record("utc is not at offset 0"); return }
        guard case .localDateTime(let leapDay, let lastSecond) = value(table, "ldt") else { Issue.record("ldt"); return }
        #expect(leapDay.description == "2024-02-29" && lastSecond.description == "23:59:59")
        guard case .localDate(let date2000) = value(table, "ld") else { Issue.record("ld"); return }
        #expect(date2000.description == "2000-02-29")
        guard case .localTime(let half) = value(table, "lt") else { Issue.record("lt"); return }
        #expect(half.nanosecond == 500_000_000 && half.description == "00:32:00.5")
    }

    @Test func tablesArraysAndInlineTables() throws {
        let table = try parse("""
            mixed = [ 1, "two", [3.0], { four = 4 }, ] # comment
            nested = [
              [1, 2], # comment in an array
              [],
            ]
            point = { x = 1, y.z = 2 }
            a.b.c = 1
            a.b.d = 2
            [table."quoted key".'literal']
            deep = true
            [[fruit]]
            name = "apple"
            [fruit.physical]
            color = "red"
            [[fruit]]
            name = "banana"
            [a.x]
            e = 3
            """)
        guard case .array(let mixed) = value(table, "mixed") else { Issue.record("mixed"); return }
        #expect(mixed.map(\.value.typeDescription) == ["an integer", "a string", "an array", "a table"])
        guard case .array(let nested) = value(table, "nested") else { Issue.record("nested"); return }
        #expect(nested.count == 2)
        #expect(value(table, "point.y.z") == .integer(2))
        #expect(value(table, "a.b.d") == .integer(2))
        #expect(value(table, "a.x.e") == .integer(3))
        #expect(value(table, "table.quoted key.literal.deep") == .boolean(true))
        guard case .array(let fruit) = value(table, "fruit"), fruit.count == 2,
            case .table(let apple) = fruit[0].value, case .table(let banana) = fruit[1].value
        else { Issue.record("fruit"); return }
        #expect(value(apple, "physical.color") == .string("red"))
        #expect(banana["name"]?.value == .string("banana") && banana["physical"] == nil)
    }

    @Test func crlfBomAndEmptyDocuments() throws {
        let table = try TOMLTable(parsing: [0xEF, 0xBB, 0xBF] + Array("a = \"\"\"x\r\ny\"\"\"\r\n# c\r\nb = 1\r\n".utf8))
        #expect(value(table, "a") == .string("x\ny"))
        #expect(value(table, "b") == .integer(1))
        #expect(try parse("").entries.isEmpty)
        #expect(try parse("# only a comment\n\n  \t\n").entries.isEmpty)
    }

    @Test func positionsAreWhereKeysAreWritten() throws {
        let table = try parse("""
            top = 1
            [server]
              port = 6000 # é
            "é" = "x"
            [[item]]
            list = [1,
                    2]
            """)
        #expect(table["top"]?.position == TOMLPosition(line: 1, column: 1))
        #expect(table["server"]?.position == TOMLPosition(line: 2, column: 2))
        guard case .table(let server) = table["server"]?.value else { Issue.record("server"); return }
        #expect(server["port"]?.position == TOMLPosition(line: 3, column: 3))
        #expect(server["é"]?.position == TOMLPosition(line: 4, column: 1))
        guard case .array(let items) = table["item"]?.value, case .table(let item) = items[0].value,
            case .array(let list) = item["list"]?.value
        else { Issue.record("item"); return }
        #expect(items[0].position == TOMLPosition(line: 5, column: 3))
        #expect(list[1].position == TOMLPosition(line: 7, column: 9))
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = TOMLTable.maximumNesting
        let arrays = String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1)
        #expect(try parse("a = \(arrays)")["a"] != nil)
        let keys = (1...depth).map { "k\($0)" }.joined(separator: ".")
        #expect(try parse("\(keys) = 1")["k1"] != nil)
    }
}
