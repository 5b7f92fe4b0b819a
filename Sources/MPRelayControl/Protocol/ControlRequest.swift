public import MPRelayCommon
import Foundation

/// One control request: a command and its arguments.
///
/// On the wire it is a flat JSON object, `{"version":1,"command":"kick","name":"w1","reason":"..."}`;
/// ``parse(_:)`` reads it field by field so every mistake gets its own ``ControlFailure`` code.
public enum ControlRequest: Equatable, Sendable {
    /// The daemon's version, uptime, endpoints, counts and totals.
    case status
    /// Every registered peer.
    case peers
    /// Every peer of the cluster: this node's with their details, the other nodes' with their
    /// node (`peers` with `"cluster":true`). On a single node, the same as ``peers``.
    case clusterPeers
    /// One registered peer.
    case peer(name: String)
    /// Disconnects a peer with ERROR `kicked` carrying `reason` (nil: ``defaultKickReason``).
    case kick(name: String, reason: String?)
    /// Re-reads the configuration file, as SIGHUP does.
    case reload
    /// Changes the log level until the next reload.
    case logLevel(LogLevel)
    /// Counters and gauges in the Prometheus text exposition format.
    case metrics

    /// The longest kick reason, in UTF-8 bytes; it travels in an ERROR envelope.
    public static let maxReasonBytes = 1_024

    /// The reason a kick without one gives the peer.
    public static let defaultKickReason = "disconnected by an operator"

    /// The command this request runs.
    public var command: ControlCommand {
        switch self {
        case .status: return .status
        case .peers, .clusterPeers: return .peers
        case .peer: return .peer
        case .kick: return .kick
        case .reload: return .reload
        case .logLevel: return .logLevel
        case .metrics: return .metrics
        }
    }

    /// The request as one line of JSON, newline included.
    public func line() -> [UInt8] {
        var fields = WireRequest(version: ControlProtocol.version, command: command.rawValue)
        switch self {
        case .status, .peers, .reload, .metrics:
            break
        case .clusterPeers:
            fields.cluster = true
        case .peer(let name):
            fields.name = name
        case .kick(let name, let reason):
            fields.name = name
            fields.reason = reason
        case .logLevel(let level):
            fields.level = level.rawValue
        }
        // Strings, integers and a boolean only: encoding cannot fail.
        return try! ControlProtocol.line(fields)
    }

    /// Decodes one request line (without its newline).
    ///
    /// Unknown fields are ignored, so a newer client can add optional fields.
    ///
    /// - Throws: ``ControlFailure`` with code `bad_request` (not a JSON object, a field of the
    ///   wrong type, a required field missing), `unsupported_version`, `unknown_command` or
    ///   `invalid_argument`.
    public static func parse(_ line: some Collection<UInt8>) throws(ControlFailure) -> ControlRequest {
        // Garbage is common on a socket anyone allowed can write to: refuse it before JSON parsing.
        guard line.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) == UInt8(ascii: "{") else {
            throw ControlFailure(.badRequest, "the request is not a JSON object: send one {...} per line")
        }
        let fields: WireRequest
        do {
            fields = try ControlProtocol.makeDecoder().decode(WireRequest.self, from: Data(line))
        } catch let error as DecodingError {
            throw ControlFailure(.badRequest, Self.explain(error))
        } catch {
            throw ControlFailure(.badRequest, "the request is not a JSON object: \(error)")
        }
        guard let version = fields.version else {
            throw ControlFailure(.badRequest, "the request has no \"version\" field: send {\"version\":\(ControlProtocol.version),\"command\":...}")
        }
        guard version == ControlProtocol.version else {
            throw ControlFailure(.unsupportedVersion, "protocol version \(version) is not spoken here; this daemon speaks version \(ControlProtocol.version)")
        }
        guard let commandName = fields.command else {
            throw ControlFailure(.badRequest, "the request has no \"command\" field")
        }
        guard let command = ControlCommand(rawValue: commandName) else {
            let known = ControlCommand.allCases.map(\.rawValue).joined(separator: ", ")
            throw ControlFailure(.unknownCommand, "unknown command \"\(commandName)\": expected one of \(known)")
        }
        switch command {
        case .status: return .status
        case .peers: return fields.cluster == true ? .clusterPeers : .peers
        case .reload: return .reload
        case .metrics: return .metrics
        case .peer: return .peer(name: try fields.required(\.name, "name", for: command))
        case .kick:
            let name = try fields.required(\.name, "name", for: command)
            if let reason = fields.reason, reason.utf8.count > maxReasonBytes {
                throw ControlFailure(.invalidArgument, "the reason is \(reason.utf8.count) bytes; at most \(maxReasonBytes)")
            }
            return .kick(name: name, reason: fields.reason)
        case .logLevel:
            let text = try fields.required(\.level, "level", for: command)
            guard let level = LogLevel(rawValue: text.lowercased()) else {
                let known = LogLevel.allCases.map(\.rawValue).joined(separator: ", ")
                throw ControlFailure(.invalidArgument, "unknown log level \"\(text)\": expected one of \(known)")
            }
            return .logLevel(level)
        }
    }

    /// A decoding error as a sentence naming the field at fault.
    private static func explain(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            guard !context.codingPath.isEmpty else { return "the request is not a JSON object" }
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            let expected = ["version": "an integer", "cluster": "a boolean"][field] ?? "a string"
            return "field \"\(field)\" must be \(expected)"
        case .dataCorrupted(let context):
            return "the request is not a JSON object: \(context.debugDescription)"
        case .keyNotFound(let key, _):
            return "the request has no \"\(key.stringValue)\" field"
        @unknown default:
            return "the request is not a valid JSON object"
        }
    }
}

/// Every field a request may carry; which are required depends on the command.
private struct WireRequest: Codable {
    var version: Int?
    var command: String?
    var name: String?
    var reason: String?
    var level: String?
    var cluster: Bool?

    init(version: Int, command: String) {
        self.version = version
        self.command = command
    }

    func required(_ path: KeyPath<WireRequest, String?>, _ key: String, for command: ControlCommand) throws(ControlFailure) -> String {
        guard let value = self[keyPath: path], !value.isEmpty else {
            throw ControlFailure(.badRequest, "command \"\(command)\" needs a non-empty \"\(key)\" field")
        }
        return value
    }
}
