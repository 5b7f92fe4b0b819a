import MPRelayCommon
/// One configuration key: its name, type, bounds and default, and how to read it from TOML.
///
/// The loader, the error messages and the documentation test all use the same description, so a
/// key cannot be validated one way and documented another.
public struct Setting<Model>: Sendable {
    /// The key as written in TOML.
    public let key: String
    /// The allowed values, as written in docs/CONFIG.md.
    public let bounds: String
    /// The default of `Model()` for this key, as written in docs/CONFIG.md.
    public let defaultValue: @Sendable (Model) -> String
    let read: @Sendable (inout Model, TOMLField) throws(ConfigError) -> Void

    static func integer(_ key: String, _ path: any WritableKeyPath<Model, Int> & Sendable, _ range: ClosedRange<Int>) -> Self {
        Setting(key: key, bounds: "\(range.lowerBound) to \(range.upperBound)", defaultValue: { String($0[keyPath: path]) }) {
            model, field throws(ConfigError) in model[keyPath: path] = try field.integer(in: range)
        }
    }

    static func seconds(_ key: String, _ path: any WritableKeyPath<Model, Double> & Sendable, _ range: ClosedRange<Double>) -> Self {
        Setting(
            key: key,
            bounds: "\(formatSeconds(range.lowerBound)) to \(formatSeconds(range.upperBound)) seconds",
            defaultValue: { formatSeconds($0[keyPath: path]) }
        ) { model, field throws(ConfigError) in model[keyPath: path] = try field.seconds(in: range) }
    }

    static func boolean(_ key: String, _ path: any WritableKeyPath<Model, Bool> & Sendable) -> Self {
        Setting(key: key, bounds: "true or false", defaultValue: { String($0[keyPath: path]) }) {
            model, field throws(ConfigError) in model[keyPath: path] = try field.boolean()
        }
    }

    static func choice<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ key: String,
        _ path: any WritableKeyPath<Model, Choice> & Sendable
    ) -> Self where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        return Setting(key: key, bounds: names.joined(separator: ", "), defaultValue: { "\"\($0[keyPath: path].rawValue)\"" }) {
            model, field throws(ConfigError) in
            let text = try field.string()
            guard let choice = Choice(rawValue: text) else {
                throw field.error("\"\(text)\" is not one of \(names.joined(separator: ", "))")
            }
            model[keyPath: path] = choice
        }
    }

    static func logLevel(_ key: String, _ path: any WritableKeyPath<Model, LogLevel> & Sendable) -> Self {
        Setting(
            key: key,
            bounds: LogLevel.allCases.map(\.rawValue).joined(separator: ", "),
            defaultValue: { "\"\($0[keyPath: path].rawValue)\"" }
        ) { model, field throws(ConfigError) in model[keyPath: path] = try field.logLevel() }
    }
}

/// Seconds as the docs write them: `10.0`, `0.1`.
func formatSeconds(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? "\(Int(value)).0" : "\(value)"
}
