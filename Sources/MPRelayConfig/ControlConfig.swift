import Glibc
import MPRelayConfigFile
import MPRelayTOML

/// The `[control]` table: the daemon's control socket, who may use it, and its limits.
///
/// The property initial values are the defaults; ``ControlConfig/settings`` lists every key with
/// its bounds, and docs/CONFIG.md is checked against it by a test. `enabled`, `socket` and `mode`
/// take effect when the daemon starts; the others also on reload.
public struct ControlConfig: Equatable, Sendable {
    /// Whether the daemon opens a control socket at all.
    public var enabled = true
    /// The socket file; nil for `control.sock` in the runtime directory.
    public var socket: String?
    /// The permission bits of the socket file.
    public var mode: UInt32 = 0o660
    /// User ids, besides root and the daemon's own user, that may send commands.
    public var allowUsers: [UInt32] = []
    /// Group ids whose members (by primary or supplementary group) may send commands.
    public var allowGroups: [UInt32] = []
    /// Control clients connected at once; more are refused with an error line.
    public var maxClients = 16
    /// The longest request line, newline included; a longer one is answered with an error and
    /// the client is closed.
    public var maxRequestBytes = 65_536
    /// Answer bytes buffered for one client; a client that lets more pile up unread is dropped.
    public var maxAnswerBytes = 16 * 1024 * 1024
    /// Seconds a client has to complete each request line, and to take the whole answer.
    public var clientTimeout = 10.0

    /// The defaults: every key as docs/CONFIG.md lists it.
    public init() {}

    /// The socket path: ``socket``, else ``ControlSocket/defaultPath(environment:)``, the path
    /// mprelayctl also looks for.
    public func socketPath(environment: [String: String]) -> String {
        socket ?? ControlSocket.defaultPath(environment: environment)
    }

    /// Reads a `[control]` table; a key it does not set keeps its default.
    static func read(_ table: TOMLField) throws(ConfigError) -> ControlConfig {
        var control = ControlConfig()
        let settings = Self.settings
        for (key, field) in try table.entries() {
            guard let setting = settings.first(where: { $0.key == key }) else {
                throw field.error("unknown key: expected one of \(settings.map(\.key).joined(separator: ", "))")
            }
            try setting.read(&control, field)
        }
        return control
    }

    /// Every key of `[control]`, in the order the docs list them.
    public static var settings: [Setting<ControlConfig>] {
        [
            .boolean("enabled", \.enabled),
            Setting(key: "socket", bounds: "a path of at most 107 bytes", defaultValue: { $0.socket ?? "<runtime directory>/control.sock" }) {
                model, field throws(ConfigError) in model.socket = try field.socketPath()
            },
            Setting(key: "mode", bounds: "0o000 to 0o777", defaultValue: { "0o" + String($0.mode, radix: 8) }) {
                model, field throws(ConfigError) in model.mode = try field.fileMode()
            },
            Setting(key: "allow_users", bounds: "user names or uids", defaultValue: { "\($0.allowUsers)" }) {
                model, field throws(ConfigError) in model.allowUsers = try field.principals(ofKind: .user)
            },
            Setting(key: "allow_groups", bounds: "group names or gids", defaultValue: { "\($0.allowGroups)" }) {
                model, field throws(ConfigError) in model.allowGroups = try field.principals(ofKind: .group)
            },
            .integer("max_clients", \.maxClients, 1...1_024),
            .integer("max_request_bytes", \.maxRequestBytes, 1_024...16_777_216),
            .integer("max_answer_bytes", \.maxAnswerBytes, 65_536...1_073_741_824),
            .seconds("client_timeout", \.clientTimeout, 0.1...3_600),
        ]
    }
}

/// Users or groups, for ``TOMLField/principals(ofKind:)``.
enum PrincipalKind {
    case user
    case group
}

extension TOMLField {
    /// An absolute socket path that fits in `sun_path`, checked as mprelayctl checks it.
    func socketPath() throws(ConfigError) -> String {
        try ControlSocket.path(of: node, file: file, key: key)
    }

    /// An array of user or group names and numeric ids, resolved to ids now, so a name that does
    /// not exist on this system is reported at load time.
    func principals(ofKind kind: PrincipalKind) throws(ConfigError) -> [UInt32] {
        let noun = kind == .user ? "user" : "group"
        var ids: [UInt32] = []
        for entry in try elements(or: "expected an array of \(noun) names or ids") {
            switch entry.value {
            case .integer(_):
                ids.append(UInt32(try entry.integer(in: 0...Int(UInt32.max - 1))))
            case .string:
                let name = try entry.string()
                if let number = UInt32(name), number != UInt32.max {
                    ids.append(number)
                } else if let id = Self.lookUp(name, kind: kind) {
                    ids.append(id)
                } else {
                    throw entry.error("no \(noun) named \"\(name)\" on this system")
                }
            default:
                throw entry.error("expected a \(noun) name or id, got \(entry.value.typeDescription)")
            }
        }
        return ids
    }

    /// The id of a user or group name from the system databases, or nil.
    private static func lookUp(_ name: String, kind: PrincipalKind) -> UInt32? {
        guard !name.isEmpty else { return nil }
        var buffer = [CChar](repeating: 0, count: 16_384)
        switch kind {
        case .user:
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
            return entry.pw_uid
        case .group:
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
            return entry.gr_gid
        }
    }
}
