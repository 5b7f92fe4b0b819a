/// A time of day as TOML writes it, `HH:MM:SS` with an optional fraction of a second.
///
/// Fractions finer than a nanosecond are truncated, as TOML 1.0 permits.
public struct TOMLTime: Hashable, Sendable, CustomStringConvertible {
    /// The hour, 0 to 23.
    public let hour: Int
    /// The minute, 0 to 59.
    public let minute: Int
    /// The second, 0 to 59.
    public let second: Int
    /// The fraction of the second, in nanoseconds.
    public let nanosecond: Int

    /// A time; the parser has checked the ranges.
    init(hour: Int, minute: Int, second: Int, nanosecond: Int) {
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
    }

    /// `HH:MM:SS`, then `.` and the fraction without trailing zeros when there is one.
    public var description: String {
        var text = "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if nanosecond != 0 {
            var fraction = pad(nanosecond, 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text
    }
}
