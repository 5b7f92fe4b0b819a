import MPRelayTOML

/// The toml-test JSON form of a TOML value: tables as objects, arrays as arrays, every other
/// value as `{"type": T, "value": TEXT}`.
enum TaggedJSON {
    /// Appends `value` as JSON.
    static func append(_ value: TOMLValue, to output: inout [UInt8]) {
        switch value {
        case .table(let table):
            output.append(UInt8(ascii: "{"))
            for (index, key) in table.keys.enumerated() {
                if index > 0 { output.append(contentsOf: Array(", ".utf8)) }
                appendString(key, to: &output)
                output.append(contentsOf: Array(": ".utf8))
                append(table.entries[key]!.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(contentsOf: Array(", ".utf8)) }
                append(element.value, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .string(let text): tagged("string", text, to: &output)
        case .integer(let number): tagged("integer", String(number), to: &output)
        case .float(let number): tagged("float", floatText(number), to: &output)
        case .boolean(let flag): tagged("bool", String(flag), to: &output)
        case .offsetDateTime(let date, let time, let offset):
            tagged("datetime", "\(date)T\(time)\(offsetText(offset))", to: &output)
        case .localDateTime(let date, let time): tagged("datetime-local", "\(date)T\(time)", to: &output)
        case .localDate(let date): tagged("date-local", date.description, to: &output)
        case .localTime(let time): tagged("time-local", time.description, to: &output)
        }
    }

    /// Appends `text` as a JSON string.
    static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: Array("\\\"".utf8))
            case UInt8(ascii: "\\"): output.append(contentsOf: Array("\\\\".utf8))
            case 0..<0x20, 0x7F:
                let hex = String(byte, radix: 16)
                output.append(contentsOf: Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8))
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func tagged(_ type: String, _ value: String, to output: inout [UInt8]) {
        output.append(contentsOf: Array("{\"type\": \"\(type)\", \"value\": ".utf8))
        appendString(value, to: &output)
        output.append(UInt8(ascii: "}"))
    }

    private static func floatText(_ number: Double) -> String {
        if number.isNaN { return "nan" }
        if number.isInfinite { return number < 0 ? "-inf" : "inf" }
        return "\(number)"
    }

    private static func offsetText(_ minutes: Int) -> String {
        guard minutes != 0 else { return "Z" }
        let magnitude = abs(minutes)
        let hours = String(magnitude / 60), rest = String(magnitude % 60)
        return (minutes < 0 ? "-" : "+") + String(repeating: "0", count: 2 - hours.count) + hours + ":"
            + String(repeating: "0", count: 2 - rest.count) + rest
    }
}
