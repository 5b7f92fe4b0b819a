/// The ASCII bytes TOML's grammar names, and the classes of bytes it uses.
enum Byte {
    static let tab = UInt8(ascii: "\t")
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let hash = UInt8(ascii: "#")
    static let plus = UInt8(ascii: "+")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let colon = UInt8(ascii: ":")
    static let equals = UInt8(ascii: "=")
    static let openBracket = UInt8(ascii: "[")
    static let backslash = UInt8(ascii: "\\")
    static let closeBracket = UInt8(ascii: "]")
    static let underscore = UInt8(ascii: "_")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")

    /// A character of a bare key: `A-Za-z0-9_-`.
    static func isBareKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), underscore, minus:
            return true
        default:
            return false
        }
    }

    /// A byte a key can start with: a bare-key character or a quote.
    static func startsKey(_ byte: UInt8) -> Bool {
        isBareKey(byte) || byte == quote || byte == apostrophe
    }

    /// `0-9`.
    static func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// The value of a hexadecimal digit, or nil.
    static func hexValue(_ byte: UInt8?) -> UInt8? {
        switch byte {
        case let digit? where (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit): return digit - UInt8(ascii: "0")
        case let letter? where (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(letter): return letter - UInt8(ascii: "a") + 10
        case let letter? where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(letter): return letter - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// An ASCII control character: U+0000 to U+001F and U+007F.
    static func isControl(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F
    }

    /// A control character named for a message, e.g. `U+000D`.
    static func name(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "the control character U+" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
