/// The header block of an `HMSG` or `HPUB`: an optional status line, then fields in order.
///
/// The server answers some requests with a status and no payload: `503` (no responders),
/// `404 Message Not Found` (JetStream direct get), `100 Idle Heartbeat` and `100 FlowControl
/// Request` (push consumers). Field names compare without regard to ASCII case, as nats.go's do;
/// a name may repeat.
public struct NATSHeaders: Equatable, Sendable {
    /// One `Name: value` line.
    public struct Field: Equatable, Sendable {
        /// The field's name, as written.
        public var name: String
        /// The field's value, without the white space after the colon.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The status code on the `NATS/1.0` line, if any.
    public var status: Int?
    /// The text after the status code, e.g. `No Messages`; empty when none.
    public var statusDescription: String
    /// The fields, in the order they were written.
    public var fields: [Field]

    /// Creates a header block.
    public init(status: Int? = nil, statusDescription: String = "", fields: [Field] = []) {
        self.status = status
        self.statusDescription = statusDescription
        self.fields = fields
    }

    /// Creates a header block of `(name, value)` fields, in order.
    public init(_ fields: KeyValuePairs<String, String>) {
        self.init(fields: fields.map { Field(name: $0.key, value: $0.value) })
    }

    /// The first value of the field `name`, if any.
    public subscript(name: String) -> String? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Every value of the field `name`, in order.
    public func values(of name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Adds a field after the others.
    public mutating func append(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    private static func sameName(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && zip(lhs.utf8, rhs.utf8).allSatisfy { lower($0) == lower($1) }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}

extension NATSHeaders {
    private static let versionLine = Array("NATS/1.0".utf8)

    /// Parses a header block (from `NATS/1.0` to the blank line) of the message on `subject`.
    static func parse(_ block: UnsafeRawBufferPointer, subject: String) throws(NATSProtocolError) -> NATSHeaders {
        func fail(_ detail: String) -> NATSProtocolError { .malformedHeaders(subject: subject, detail: detail) }
        var lines: [UnsafeRawBufferPointer] = []
        var lineStart = 0
        var index = 0
        while index + 1 < block.count {
            if block[index] == 0x0D && block[index + 1] == 0x0A {
                lines.append(UnsafeRawBufferPointer(rebasing: block[lineStart..<index]))
                index += 2
                lineStart = index
            } else {
                index += 1
            }
        }
        guard lineStart == block.count, lines.count >= 2, lines.last!.isEmpty else {
            throw fail("the block does not end with an empty line")
        }
        let first = lines[0]
        guard first.starts(with: versionLine) else { throw fail("no NATS/1.0 version line") }
        var headers = NATSHeaders()
        let statusText = String(decoding: first[versionLine.count...], as: UTF8.self)
        let statusParts = statusText.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        if let code = statusParts.first {
            guard code.utf8.count == 3, let value = Int(code) else { throw fail("status '\(code)' is not a code") }
            headers.status = value
            headers.statusDescription = statusParts.count > 1 ? String(statusParts[1]) : ""
        }
        for line in lines[1..<(lines.count - 1)] {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
                throw fail("line '\(String(decoding: line, as: UTF8.self))' has no name")
            }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            headers.append(name, String(value.drop { $0 == " " || $0 == "\t" }))
        }
        return headers
    }

    /// Appends the block as `HPUB` sends it.
    ///
    /// - Throws: ``NATSProtocolError/invalidHeader(name:)`` for a name that is empty or holds
    ///   `:`, white space or control bytes, or a value that holds CR or LF.
    func encode(into buffer: inout [UInt8]) throws(NATSProtocolError) {
        buffer.append(contentsOf: Self.versionLine)
        if let status {
            buffer.append(contentsOf: Array(" \(status)".utf8))
            if !statusDescription.isEmpty { buffer.append(contentsOf: Array(" \(statusDescription)".utf8)) }
        }
        buffer.append(contentsOf: NATSEncoder.lineEnd)
        for field in fields {
            let name = Array(field.name.utf8)
            guard !name.isEmpty, name.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: ":") }),
                !field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A })
            else { throw .invalidHeader(name: field.name) }
            buffer.append(contentsOf: name)
            buffer.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            buffer.append(contentsOf: Array(field.value.utf8))
            buffer.append(contentsOf: NATSEncoder.lineEnd)
        }
        buffer.append(contentsOf: NATSEncoder.lineEnd)
    }
}
