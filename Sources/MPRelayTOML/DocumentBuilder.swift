/// Builds a document's tables statement by statement and enforces TOML's rules on defining
/// them: a table is defined once, a key once, dotted keys do not reopen a table a header defined
/// (nor a header a table dotted keys defined), and inline tables and arrays are closed.
///
/// Inline tables and arrays are stored as finished values, so any later attempt to add to one
/// (a header, a dotted key or `[[...]]` through it) finds a value where a table should be. The
/// "defined" marks follow key paths by name, as TOML's rules do; an `[[array]]` header clears the
/// marks below its path, since it starts a fresh table.
final class DocumentBuilder {
    /// A table still open to additions.
    final class Table {
        var entries: [String: Entry] = [:]
        let position: TOMLPosition

        init(position: TOMLPosition) {
            self.position = position
        }
    }

    /// What a key holds while the document is built.
    enum Entry {
        case table(Table)
        case arrayOfTables([Table], position: TOMLPosition)
        case value(TOMLNode)
    }

    /// Which key paths are defined: by a header, or as the parent of a dotted key.
    final class Marks {
        var defined = false
        var nested: [String: Marks] = [:]
    }

    private let root = Table(position: TOMLPosition(line: 1, column: 1))
    private let marks = Marks()
    /// Tables a dotted key defined in the current section; they become defined at the next
    /// header, so that later sections cannot reopen them.
    private var pending: [[String]] = []
    /// An inline table follows only the duplicate-key rule: nothing can reopen it anyway.
    private let inline: Bool

    init(inline: Bool = false) {
        self.inline = inline
    }

    /// `key = value` in the section `header`.
    func insert(_ node: TOMLNode, at key: [String], under header: [String]) throws(TOMLError) {
        let fail = { (message: String) in TOMLError(position: node.position, message: message) }
        if !inline {
            for length in 1..<key.count {
                let parent = header + key[..<length]
                if isDefined(parent) {
                    throw fail("the dotted key \"\(key.joined(separator: "."))\" adds to the table [\(parent.joined(separator: "."))], which is defined elsewhere")
                }
                pending.append(parent)
            }
        }
        let table = try nest(header + key.dropLast(), at: node.position)
        guard table.entries[key[key.count - 1]] == nil else {
            throw fail("the key \"\((header + key).joined(separator: "."))\" is already defined")
        }
        table.entries[key[key.count - 1]] = .value(node)
    }

    /// Ends the current section: what its dotted keys defined is closed to later sections.
    func closeDottedKeys() {
        for path in pending { mark(path) }
        pending.removeAll()
    }

    /// `[key]`.
    func defineTable(_ key: [String], at position: TOMLPosition) throws(TOMLError) {
        guard !isDefined(key) else {
            throw TOMLError(position: position, message: "the table [\(key.joined(separator: "."))] is defined twice")
        }
        mark(key)
        _ = try nest(key, at: position)
    }

    /// `[[key]]`.
    func appendTable(_ key: [String], at position: TOMLPosition) throws(TOMLError) {
        clearMarks(below: key)
        mark(key)
        let parent = try nest(key.dropLast(), at: position)
        let name = key[key.count - 1]
        switch parent.entries[name] {
        case nil:
            parent.entries[name] = .arrayOfTables([Table(position: position)], position: position)
        case .arrayOfTables(var tables, let first):
            parent.entries[name] = nil
            tables.append(Table(position: position))
            parent.entries[name] = .arrayOfTables(tables, position: first)
        case .table, .value:
            throw TOMLError(
                position: position,
                message: "[[\(key.joined(separator: "."))]] would turn a key already defined as something else into an array of tables"
            )
        }
    }

    /// The table at `path`, creating missing ones; on an array of tables, its last table.
    private func nest(_ path: some Collection<String>, at position: TOMLPosition) throws(TOMLError) -> Table {
        var table = root
        var walked: [String] = []
        for name in path {
            walked.append(name)
            switch table.entries[name] {
            case nil:
                let created = Table(position: position)
                table.entries[name] = .table(created)
                table = created
            case .table(let existing):
                table = existing
            case .arrayOfTables(let tables, _):
                table = tables[tables.count - 1]
            case .value(let node):
                throw TOMLError(
                    position: position,
                    message: "\"\(walked.joined(separator: "."))\" is \(node.value.typeDescription) (line \(node.position.line)), not a table that can be added to"
                )
            }
        }
        return table
    }

    private func isDefined(_ path: [String]) -> Bool {
        var node = marks
        for name in path {
            guard let next = node.nested[name] else { return false }
            node = next
        }
        return node.defined
    }

    private func mark(_ path: [String]) {
        var node = marks
        for name in path {
            if let next = node.nested[name] {
                node = next
            } else {
                let next = Marks()
                node.nested[name] = next
                node = next
            }
        }
        node.defined = true
    }

    private func clearMarks(below path: [String]) {
        var node = marks
        for name in path.dropLast() {
            guard let next = node.nested[name] else { return }
            node = next
        }
        node.nested[path[path.count - 1]] = nil
    }

    /// The finished tree.
    func finish() -> TOMLTable {
        Self.freeze(root)
    }

    private static func freeze(_ table: Table) -> TOMLTable {
        var entries: [String: TOMLNode] = [:]
        for (name, entry) in table.entries {
            switch entry {
            case .table(let nested):
                entries[name] = TOMLNode(value: .table(freeze(nested)), position: nested.position)
            case .arrayOfTables(let tables, let position):
                let elements = tables.map { TOMLNode(value: .table(freeze($0)), position: $0.position) }
                entries[name] = TOMLNode(value: .array(elements), position: position)
            case .value(let node):
                entries[name] = node
            }
        }
        return TOMLTable(entries: entries)
    }
}
