import Crypto
import Foundation
import MPRelayProtocol
import Testing

/// One `multiprocessing.connection` handshake between two CPython interpreters, recorded by
/// Vectors/generate.py into Vectors/handshake-vectors.json.
struct HandshakeVector: Sendable, CustomTestStringConvertible {
    struct Side: Sendable {
        /// The interpreter's full version, such as `3.13.0`.
        let python: String
        /// The digest its challenge named; nil for the legacy 20-byte challenge of 3.11 and older.
        let digest: HandshakeDigest?
        let key: [UInt8]
        /// What its patched `os.urandom` returned: 40 bytes (modern) or 20 (legacy); nil when the
        /// side failed before drawing its challenge.
        let drawnNonce: [UInt8]?
        /// Whether CPython finished this side of the handshake without an error.
        let succeeded: Bool

        var isLegacy: Bool { digest == nil }
        /// The nonce to replay this side with. A side that failed before drawing one never sent a
        /// challenge, so any nonce of the right length replays it.
        var nonce: [UInt8] { drawnNonce ?? [UInt8](repeating: 0, count: HandshakeMessage.nonceLength) }
        var symmetricKey: SymmetricKey { SymmetricKey(data: key) }
        func isVersion(_ minor: String) -> Bool { python.hasPrefix(minor + ".") }
    }

    struct Frame: Sendable {
        let fromListener: Bool
        let body: [UInt8]
    }

    let name: String
    let listener: Side
    let client: Side
    let frames: [Frame]

    var testDescription: String { name }

    /// The bodies the listener sent, in order.
    var listenerFrames: [[UInt8]] { frames.filter(\.fromListener).map(\.body) }
    /// The bodies the client sent, in order.
    var clientFrames: [[UInt8]] { frames.filter { !$0.fromListener }.map(\.body) }
}

/// Loads the recorded vectors once.
enum HandshakeVectors {
    static let loaded: Result<[HandshakeVector], any Error> = Result { try load() }

    /// Every vector, or none when the file could not be read (the loading test then fails).
    static var all: [HandshakeVector] { (try? loaded.get()) ?? [] }

    /// Handshakes in which CPython listened with a `{sha256}` challenge, as ServerHandshake does.
    static var replayableByServer: [HandshakeVector] { all.filter { $0.listener.digest == .sha256 } }

    /// Handshakes in which the CPython client was modern, as ClientHandshake is.
    static var replayableByClient: [HandshakeVector] { all.filter { !$0.client.isLegacy } }

    /// The successful handshake between these two sides.
    static func find(
        listener: String, _ listenerDigest: HandshakeDigest?,
        client: String, _ clientDigest: HandshakeDigest?
    ) throws -> HandshakeVector {
        try #require(all.first {
            $0.listener.isVersion(listener) && $0.listener.digest == listenerDigest && $0.listener.succeeded
                && $0.client.isVersion(client) && $0.client.digest == clientDigest && $0.client.succeeded
        })
    }

    /// The 3.13 handshake with `{sha256}` both ways: a modern reply to the shared listener nonce.
    static func modern() throws -> HandshakeVector {
        try find(listener: "3.13", .sha256, client: "3.13", .sha256)
    }

    /// A 3.11 client answering a 3.13 listener: a legacy reply to the shared listener nonce.
    static func legacyClient() throws -> HandshakeVector {
        try find(listener: "3.13", .sha256, client: "3.11", nil)
    }

    private struct File: Decodable {
        struct Side: Decodable {
            let python: String
            let digest: String?
            let authkey: String
            let nonce: String?
            let result: String
        }

        struct Frame: Decodable {
            let from: String
            let body: String
        }

        struct Vector: Decodable {
            let name: String
            let listener: Side
            let client: Side
            let frames: [Frame]
        }

        let vectors: [Vector]
    }

    private struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    private static func load() throws -> [HandshakeVector] {
        guard let url = Bundle.module.url(forResource: "handshake-vectors", withExtension: "json", subdirectory: "Vectors")
        else { throw LoadError(description: "Vectors/handshake-vectors.json is not in the test bundle") }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        return try file.vectors.map { vector in
            HandshakeVector(
                name: vector.name,
                listener: try side(vector.listener),
                client: try side(vector.client),
                frames: try vector.frames.map { frame in
                    guard frame.from == "listener" || frame.from == "client" else {
                        throw LoadError(description: "\(vector.name): a frame from \(frame.from)")
                    }
                    return HandshakeVector.Frame(fromListener: frame.from == "listener", body: hex(frame.body))
                }
            )
        }
    }

    private static func side(_ side: File.Side) throws -> HandshakeVector.Side {
        var digest: HandshakeDigest?
        if let name = side.digest {
            guard let known = HandshakeDigest(rawValue: name) else { throw LoadError(description: "unknown digest \(name)") }
            digest = known
        }
        return HandshakeVector.Side(
            python: side.python,
            digest: digest,
            key: hex(side.authkey),
            drawnNonce: side.nonce.map(hex),
            succeeded: side.result == "ok"
        )
    }
}

/// Sends `frame` to a handshake state machine.
extension ServerHandshake {
    mutating func receive(_ frame: [UInt8]) -> HandshakeAction {
        frame.withUnsafeBytes { receive($0) }
    }
}

extension ClientHandshake {
    mutating func receive(_ frame: [UInt8]) -> HandshakeAction {
        frame.withUnsafeBytes { receive($0) }
    }
}

extension HandshakeAction {
    /// The frame body this action asks the caller to send, if any.
    var frameToSend: [UInt8]? {
        switch self {
        case .send(let body): return body
        case .established(let reply, _), .fail(let reply, _): return reply
        }
    }

    /// A failure answered with `#FAILURE#`. Errors compare by code only.
    static func failure(_ code: HandshakeError.Code) -> HandshakeAction {
        .fail(reply: HandshakeMessage.failure, HandshakeError(code, ""))
    }

    /// A failure that closes the connection without a reply. Errors compare by code only.
    static func closed(_ code: HandshakeError.Code) -> HandshakeAction {
        .fail(reply: nil, HandshakeError(code, ""))
    }

    /// Whether the handshake is over, one way or the other.
    var isFinal: Bool {
        if case .send = self { return false }
        return true
    }
}
