/// A TOML value, of one of the types TOML 1.0 defines.
public enum TOMLValue: Equatable, Sendable {
    /// A string, from any of the four string forms, escapes resolved.
    case string(String)
    /// An integer; TOML integers are 64-bit.
    case integer(Int64)
    /// A floating-point number, including infinities and NaN.
    case float(Double)
    /// `true` or `false`.
    case boolean(Bool)
    /// A date and time at an offset from UTC (`Z` is offset 0).
    case offsetDateTime(TOMLDate, TOMLTime, offsetMinutes: Int)
    /// A date and time without an offset.
    case localDateTime(TOMLDate, TOMLTime)
    /// A date alone.
    case localDate(TOMLDate)
    /// A time of day alone.
    case localTime(TOMLTime)
    /// An array; its elements may be of different types.
    case array([TOMLNode])
    /// A table: from a header, dotted keys, an inline table, or one element of an array of
    /// tables.
    case table(TOMLTable)

    /// The type in words with an article, for messages such as "expected an integer, got a
    /// string".
    public var typeDescription: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a floating-point number"
        case .boolean: return "a boolean"
        case .offsetDateTime: return "a date-time"
        case .localDateTime: return "a local date-time"
        case .localDate: return "a date"
        case .localTime: return "a time"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}
