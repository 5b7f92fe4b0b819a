import MPRelayConfig
import Testing

/// Expects `load` to fail with a ``ConfigError`` on `key` whose message contains `fragment`.
func expectConfigError(
    key: String,
    containing fragment: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ load: () throws(ConfigError) -> Void
) {
    do {
        try load()
        Issue.record("expected an error for \(key)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.key == key, sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
    }
}
