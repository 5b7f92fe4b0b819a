extension Parser {
    // MARK: - Dates and times

    /// An offset date-time, local date-time or local date at the cursor, or nil when the text
    /// is not shaped like a date (then it may be a number). A date whose time part is malformed
    /// is a date alone, and what follows it is then an error for the caller to find.
    mutating func parseDateTime() throws(TOMLError) -> TOMLValue? {
        let start = index
        guard let year = digits(4, from: start), peek(at: start + 4) == Byte.minus,
            let month = digits(2, from: start + 5), peek(at: start + 7) == Byte.minus,
            let day = digits(2, from: start + 8), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        index = start + 10
        guard let date = TOMLDate(year: year, month: month, day: day) else {
            throw error("\(String(decoding: bytes[start..<index], as: UTF8.self)) is not a date of the calendar", at: start)
        }
        guard let separator = peek(), separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == Byte.space else {
            return .localDate(date)
        }
        let dateEnd = index
        index += 1
        guard let time = parseTime() else {
            index = dateEnd
            return .localDate(date)
        }
        if let zone = peek(), zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
            index += 1
            return .offsetDateTime(date, time, offsetMinutes: 0)
        }
        if let sign = peek(), sign == Byte.plus || sign == Byte.minus,
            let hours = digits(2, from: index + 1), hours <= 23, peek(at: index + 3) == Byte.colon,
            let minutes = digits(2, from: index + 4), minutes <= 59
        {
            index += 6
            let offset = hours * 60 + minutes
            return .offsetDateTime(date, time, offsetMinutes: sign == Byte.minus ? -offset : offset)
        }
        return .localDateTime(date, time)
    }

    /// `HH:MM:SS` with an optional fraction at the cursor, or nil (cursor unmoved).
    mutating func parseTime() -> TOMLTime? {
        guard let hour = digits(2), hour <= 23, peek(at: index + 2) == Byte.colon,
            let minute = digits(2, from: index + 3), minute <= 59, peek(at: index + 5) == Byte.colon,
            let second = digits(2, from: index + 6), second <= 59
        else { return nil }
        index += 8
        var nanosecond = 0
        if peek() == Byte.dot, Byte.isDigit(peek(at: index + 1)) {
            index += 1
            var scale = 100_000_000
            while let byte = peek(), Byte.isDigit(byte) {
                nanosecond += scale * Int(byte - UInt8(ascii: "0"))
                scale /= 10
                index += 1
            }
        }
        return TOMLTime(hour: hour, minute: minute, second: second, nanosecond: nanosecond)
    }

    /// The decimal number of exactly `count` digits at `offset` (default: the cursor).
    private func digits(_ count: Int, from offset: Int? = nil) -> Int? {
        let start = offset ?? index
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard Byte.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    // MARK: - Numbers

    /// An integer (decimal, or `0x`, `0o`, `0b`) or a float (with a fraction or an exponent, or
    /// `inf` and `nan` with an optional sign) at the cursor, or nil when nothing here starts a
    /// number.
    mutating func parseNumber() throws(TOMLError) -> TOMLValue? {
        let start = index
        if peek() == UInt8(ascii: "0"), let radix = [UInt8(ascii: "x"): 16, UInt8(ascii: "o"): 8, UInt8(ascii: "b"): 2][peek(at: index + 1) ?? 0],
            digitValue(peek(at: index + 2), radix: radix) != nil
        {
            index += 2
            return .integer(try integer(radix: radix, negative: false, start: start))
        }
        var negative = false
        if let sign = peek(), sign == Byte.plus || sign == Byte.minus {
            negative = sign == Byte.minus
            index += 1
        }
        for special in ["inf", "nan"] where looking(at: special) {
            index += 3
            return .float(special == "nan" ? .nan : negative ? -.infinity : .infinity)
        }
        guard Byte.isDigit(peek()) else {
            index = start
            return nil
        }
        let digitsStart = index
        if peek() == UInt8(ascii: "0") { index += 1 } else { skipDigits() }
        var isFloat = false
        if peek() == Byte.dot, Byte.isDigit(peek(at: index + 1)) {
            index += 1
            skipDigits()
            isFloat = true
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var exponent = index + 1
            if let sign = peek(at: exponent), sign == Byte.plus || sign == Byte.minus { exponent += 1 }
            if Byte.isDigit(peek(at: exponent)) {
                index = exponent
                skipDigits()
                isFloat = true
            }
        }
        guard isFloat else {
            index = digitsStart
            return .integer(try integer(radix: 10, negative: negative, start: start))
        }
        let text = String(decoding: bytes[start..<index].filter { $0 != Byte.underscore }, as: UTF8.self)
        guard let value = Double(text) else { throw error("\(text) is not a floating-point number", at: start) }
        return .float(value)
    }

    /// Digits with single underscores between them.
    private mutating func skipDigits() {
        while true {
            if Byte.isDigit(peek()) {
                index += 1
            } else if peek() == Byte.underscore, Byte.isDigit(peek(at: index + 1)) {
                index += 2
            } else {
                return
            }
        }
    }

    /// The digits of `radix` at the cursor, single underscores between them, as an Int64. For
    /// decimal the caller has checked the first digit, and `0` stands alone.
    private mutating func integer(radix: Int, negative: Bool, start: Int) throws(TOMLError) -> Int64 {
        var magnitude: UInt64 = 0
        var overflow = false
        let onlyZero = radix == 10 && peek() == UInt8(ascii: "0")
        while let digit = digitValue(peek(), radix: radix) {
            let (shifted, multiplyOverflow) = magnitude.multipliedReportingOverflow(by: UInt64(radix))
            let (sum, addOverflow) = shifted.addingReportingOverflow(UInt64(digit))
            overflow = overflow || multiplyOverflow || addOverflow
            magnitude = sum
            index += 1
            if onlyZero { break }
            if peek() == Byte.underscore, digitValue(peek(at: index + 1), radix: radix) != nil { index += 1 }
        }
        let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        guard !overflow, magnitude <= limit else {
            throw error("\(String(decoding: bytes[start..<index], as: UTF8.self)) does not fit in a 64-bit integer", at: start)
        }
        return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
    }

    private func digitValue(_ byte: UInt8?, radix: Int) -> Int? {
        guard let value = Byte.hexValue(byte), Int(value) < radix else { return nil }
        return Int(value)
    }
}
