import MPRelayCommon
public import MPRelayTOML

/// Where mprelayd's control socket is: the `socket` key of the `[control]` table, or
/// ``defaultName`` in the ``RuntimeDirectory``.
///
/// The daemon's `[control]` reader and mprelayctl's `--config` both take the path from here, so
/// the two cannot disagree about where the socket is or which paths are acceptable.
public enum ControlSocket {
    /// The file name of the default socket in the runtime directory.
    public static let defaultName = "control.sock"

    /// The socket of the packaged service: ``defaultName`` in ``RuntimeDirectory/system``.
    public static let packagedPath = RuntimeDirectory.system + "/" + defaultName

    /// ``defaultName`` in the runtime directory a daemon started with `environment` would use.
    public static func defaultPath(environment: [String: String]) -> String {
        RuntimeDirectory.path(environment: environment) + "/" + defaultName
    }

    /// The control socket of the configuration file at `file`: its `[control] socket`, else
    /// ``defaultPath(environment:)``.
    ///
    /// Only that key is read: the rest of the file is neither checked nor acted on, so key files
    /// the caller may not read, and names of users that exist only on the daemon's host, do not
    /// matter.
    ///
    /// - Throws: ``ConfigError`` for an unreadable file, bad TOML, a `control` key that is not a
    ///   table, or a bad `socket` value, naming the file, the line and column, and the key.
    public static func path(configuredIn file: String, environment: [String: String]) throws(ConfigError) -> String {
        let root = try ConfigFile.parse(try ConfigFile.read(file), file: file)
        guard let control = root["control"] else { return defaultPath(environment: environment) }
        guard case .table(let table) = control.value else {
            throw ConfigError(at: control, file: file, key: "control", "expected a table, got \(control.value.typeDescription)")
        }
        guard let socket = table["socket"] else { return defaultPath(environment: environment) }
        return try path(of: socket, file: file, key: "control.socket")
    }

    /// The value of a `socket` key: an absolute path that fits in `sun_path`.
    ///
    /// - Parameters:
    ///   - node: the value as written.
    ///   - file: the configuration file, for errors.
    ///   - key: the dotted key, for errors (`control.socket`).
    /// - Throws: ``ConfigError`` at the node's position when it is not a string, holds a NUL, is
    ///   relative, or is longer than ``EndpointAddress/maxUnixPathLength`` bytes.
    public static func path(of node: TOMLNode, file: String, key: String) throws(ConfigError) -> String {
        guard case .string(let path) = node.value else {
            throw ConfigError(at: node, file: file, key: key, "expected a string, got \(node.value.typeDescription)")
        }
        guard !path.utf8.contains(0) else {
            throw ConfigError(at: node, file: file, key: key, "a NUL character (\\u0000) is not allowed here")
        }
        guard path.hasPrefix("/") else { throw ConfigError(at: node, file: file, key: key, "\"\(path)\" is not an absolute path") }
        guard path.utf8.count <= EndpointAddress.maxUnixPathLength else {
            throw ConfigError(
                at: node,
                file: file,
                key: key,
                "the path is \(path.utf8.count) bytes; AF_UNIX allows at most \(EndpointAddress.maxUnixPathLength)"
            )
        }
        return path
    }
}

extension ConfigError {
    /// A problem with `key`, written at `node`'s position in `file`.
    init(at node: TOMLNode, file: String, key: String, _ message: String) {
        self.init(file: file, line: node.position.line, column: node.position.column, key: key, message: message)
    }
}
