// Inputs that abort TOMLKit 0.6.0 itself, found by this target and skipped so that it can look
// for everything else.
//
// The toml++ parser TOMLKit vendors checks its own preconditions with assert(), and SwiftPM does
// not define NDEBUG in release builds either, so where that parser has a gap the process aborts
// instead of getting a syntax error: mprelayd on such a file, at start, on `--check-config` and
// on reload. These are TOMLKit's bugs (later toml++ turns at least the first into an error);
// docs/SECURITY.md lists them. Each check is a little wider than the crash it stands for.

/// Whether `text` (UTF-8, as toml++ receives it) holds any input known to abort TOMLKit.
func abortsTOMLKit(_ text: [UInt8]) -> Bool {
    hasBadTableHeader(text) || hasDateFollowedByBadTime(text) || hasBadArrayElement(text)
}

/// A table header whose first key character is neither a bare-key character nor a quote:
/// `[=`, `[+]`, `[é]`, `[[ #`, or a lone `[` before a newline. toml++'s `parse_key` asserts
/// `is_bare_key_character(*cp) || is_string_delimiter(*cp)`.
private func hasBadTableHeader(_ text: [UInt8]) -> Bool {
    var index = text.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var atLineStart = true
    while index < text.count {
        let byte = text[index]
        if byte == ascii("\n") {
            atLineStart = true
        } else if atLineStart, isBlank(byte) {
            // Indentation before a header.
        } else if atLineStart, byte == ascii("[") {
            atLineStart = false
            var next = index + 1
            if next < text.count, text[next] == ascii("[") { next += 1 }
            while next < text.count, isBlank(text[next]) { next += 1 }
            if next < text.count, !startsKey(text[next]), text[next] != ascii("]") { return true }
        } else {
            atLineStart = false
        }
        index += 1
    }
    return false
}

/// A value toml++ takes for the start of a date-time and whose time is not there:
/// - `t = 1979-05-27T:` (a date, `T` or `t`, then no digit): `parse_time` asserts
///   `is_decimal_digit(*cp)`;
/// - `d = 1979-05-27 9 `, or any ten characters with `-` fifth and eighth such as `1979-05-2i`,
///   then a space, one digit and the end of the value: `parse_value` asserts
///   `!is_value_terminator(*cp)`. Checked as: a space, a digit and a terminator after a word with
///   two `-`.
private func hasDateFollowedByBadTime(_ text: [UInt8]) -> Bool {
    func isDigit(_ index: Int) -> Bool { index < text.count && (ascii("0")...ascii("9")).contains(text[index]) }
    func isTerminator(_ index: Int) -> Bool {
        index < text.count && [ascii(" "), ascii("\t"), ascii("\r"), ascii("\n"), ascii(","), ascii("]"), ascii("}"), ascii("#")].contains(text[index])
    }
    for index in text.indices {
        if index + 11 < text.count, [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy({ isDigit(index + $0) }),
            text[index + 4] == ascii("-"), text[index + 7] == ascii("-"),
            text[index + 10] == ascii("T") || text[index + 10] == ascii("t"), !isDigit(index + 11)
        {
            return true
        }
        if text[index] == ascii(" "), isDigit(index + 1), isTerminator(index + 2) {
            var start = index
            while start > 0, !isTerminator(start - 1), ![ascii("="), ascii("["), ascii("{")].contains(text[start - 1]) {
                start -= 1
            }
            if text[start..<index].count(where: { $0 == ascii("-") }) >= 2 { return true }
        }
    }
    return false
}

/// An array element that starts with `}` or a Unicode line break (U+0085, U+2028, U+2029):
/// `b = [}`, `b = [1, }`, `b = [1,` U+2028 `]`. toml++'s `parse_array` hands it to `parse_value`,
/// which asserts `!is_value_terminator(*cp)`. Checked after every `[` and `,`, past blanks, line
/// breaks and comments.
private func hasBadArrayElement(_ text: [UInt8]) -> Bool {
    let skipped: [UInt8] = [ascii(" "), ascii("\t"), ascii("\r"), ascii("\n"), 0x0B, 0x0C]
    for start in text.indices where text[start] == ascii("[") || text[start] == ascii(",") {
        var index = start + 1
        while index < text.count {
            if skipped.contains(text[index]) {
                index += 1
            } else if text[index] == ascii("#") {
                while index < text.count, text[index] != ascii("\n") { index += 1 }
            } else {
                break
            }
        }
        let rest = text[index...]
        if rest.first == ascii("}") || rest.starts(with: [0xC2, 0x85]) || rest.starts(with: [0xE2, 0x80, 0xA8])
            || rest.starts(with: [0xE2, 0x80, 0xA9])
        {
            return true
        }
    }
    return false
}

/// toml++'s `is_bare_key_character || is_string_delimiter`, for the first byte of a key.
private func startsKey(_ byte: UInt8) -> Bool {
    switch byte {
    case ascii("a")...ascii("z"), ascii("A")...ascii("Z"), ascii("0")...ascii("9"), ascii("_"), ascii("-"), ascii("\""), ascii("'"):
        return true
    default:
        return false
    }
}

private func isBlank(_ byte: UInt8) -> Bool { byte == ascii(" ") || byte == ascii("\t") }

private func ascii(_ character: Unicode.Scalar) -> UInt8 { UInt8(ascii: character) }
