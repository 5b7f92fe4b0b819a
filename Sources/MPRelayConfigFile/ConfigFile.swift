import MPRelayPOSIX
public import MPRelayTOML

/// The configuration file before any key has a meaning: its bytes, read with a bound, and the
/// TOML document they hold.
///
/// mprelayd's loader gives the document its meaning; mprelayctl only looks up the control
/// socket in it (``ControlSocket/path(configuredIn:environment:)``). Both read and parse through
/// here, so a file one refuses the other refuses with the same message.
public enum ConfigFile {
    /// The largest configuration file read; a larger one is refused rather than read whole.
    public static let maximumBytes = 1 << 20

    /// The bytes of the file at `path`, at most ``maximumBytes``; anything but a regular file is
    /// refused without blocking.
    ///
    /// - Throws: ``ConfigError`` naming `path` and why it cannot be read.
    public static func read(_ path: String) throws(ConfigError) -> [UInt8] {
        do {
            return try readFileBytes(path, limit: maximumBytes).bytes
        } catch {
            throw ConfigError(file: path, key: "", message: "cannot read the configuration: \(error)")
        }
    }

    /// The TOML document in `bytes`, which need not be UTF-8 or TOML at all.
    ///
    /// - Parameter file: names the document in errors.
    /// - Throws: ``ConfigError`` at the line and column where the parser stopped.
    public static func parse(_ bytes: [UInt8], file: String) throws(ConfigError) -> TOMLTable {
        do {
            return try TOMLTable(parsing: bytes)
        } catch {
            throw ConfigError(file: file, line: error.position.line, column: error.position.column, key: "", message: error.message)
        }
    }
}
