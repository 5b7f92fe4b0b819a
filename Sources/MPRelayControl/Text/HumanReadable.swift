import Glibc

/// Numbers as people read them in `mprelayctl`'s tables: sizes, durations, counts and times.
public enum HumanReadable {
    /// A byte count in binary units: `512 B`, `1.5 KiB`, `64.0 MiB`.
    public static func bytes(_ count: Int) -> String {
        guard count >= 1_024 || count <= -1_024 else { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(count) / 1_024
        var unit = 0
        while abs(value) >= 1_023.95 && unit < units.count - 1 {
            value /= 1_024
            unit += 1
        }
        return "\(oneDecimal(value)) \(units[unit])"
    }

    /// A duration in its two largest units: `0.4s`, `12s`, `3m 05s`, `2h 07m`, `3d 04h`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "-" }
        if seconds < 10 && seconds != seconds.rounded(.down) { return "\(oneDecimal(seconds))s" }
        let total = Int(seconds)
        let (days, hours, minutes, rest) = (total / 86_400, total / 3_600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return "\(days)d \(twoDigits(hours))h" }
        if hours > 0 { return "\(hours)h \(twoDigits(minutes))m" }
        if minutes > 0 { return "\(minutes)m \(twoDigits(rest))s" }
        return "\(rest)s"
    }

    /// A count with thousands separators: `1,234,567`.
    public static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// A time in UTC, to the second: `2026-05-20 14:03:11 UTC`.
    public static func utcTime(_ secondsSinceEpoch: Double) -> String {
        var time = time_t(secondsSinceEpoch.rounded(.down))
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "-" }
        var text = [CChar](repeating: 0, count: 32)
        let length = strftime(&text, text.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        return String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let whole = Int(tenths / 10)
        let fraction = Int(abs(tenths).truncatingRemainder(dividingBy: 10))
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(fraction)"
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
