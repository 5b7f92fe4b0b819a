import Crypto
import FuzzSupport
import MPRelayProtocol

// Plays either side of the multiprocessing.connection handshake against frames carved from the
// input, and checks every action against a model written from CPython's connection.py
// (`deliver_challenge`, `answer_challenge`, `_create_response`, `_verify_challenge`), with HMACs
// computed here straight from swift-crypto.
//
// Input layout: [mode] [client digest] then frames, each a length byte and that many bytes.
// - mode bit 0: the role, 0 for ServerHandshake (the broker), 1 for ClientHandshake.
// - mode bits 1-2: the keys: 0 the key of the recorded CPython transcripts, 1 a secret key,
//   2 [secret, transcript], 3 [transcript, secret]. A client holds the first.
// - mode bit 3: set refuses legacy HMAC-MD5 (allow_legacy_md5 = false).
// - mode bits 4-6: min_digest: 1 to 5 name a digest (md5 ... sha3_384), others none.
// - client digest (mod 5): the digest a ClientHandshake's own challenge asks for.
// The nonces are those of the recorded transcripts, so their frames (Fuzz/Corpus/handshake)
// complete a handshake. The secret key appears in no input: a handshake that proves it means a
// MAC was accepted without being right.

/// `b"mprelay handshake vectors"`, the authkey of Tests/MPRelayProtocolTests/Vectors.
private let transcriptKey = Array("mprelay handshake vectors".utf8)
/// The listener nonce of the transcripts: a ServerHandshake with it sends CPython's challenge.
private let listenerNonce = bytes(fromHex: "eb60898ffc6b4471d01842112f58b4940c9cc7251f0e6c86d0b482a639cb1baae95024f057a5047b")
/// The client nonce of the transcripts.
private let clientNonce = bytes(fromHex: "a566e1c45317c9889a16ca53532e7cafdbe2651d63fbb87985fcc44e2d050c6d96c0ba2f060db72f")
/// A key no input can prove.
private let secretKey = Array(SHA256.hash(data: Array("mprelay fuzz: a key that no input holds".utf8)))

private let challengeTag = Array("#CHALLENGE#".utf8)
private let welcome = Array("#WELCOME#".utf8)
private let failure = Array("#FAILURE#".utf8)

private func bytes(fromHex text: String) -> [UInt8] {
    let digits = Array(text.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
}

// MARK: - The model

private func hmac(_ digest: HandshakeDigest, key: [UInt8], message: [UInt8]) -> [UInt8] {
    let key = SymmetricKey(data: key)
    switch digest {
    case .md5: return Array(HMAC<Insecure.MD5>.authenticationCode(for: message, using: key))
    case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: message, using: key))
    case .sha3_256: return Array(HMAC<SHA3_256>.authenticationCode(for: message, using: key))
    case .sha3_384: return Array(HMAC<SHA3_384>.authenticationCode(for: message, using: key))
    }
}

/// CPython's `_get_digest_name_and_payload`: nil digest for the legacy form, nil result when the
/// message is neither form.
private func digestAndPayload(_ message: [UInt8]) -> (digest: HandshakeDigest?, payload: [UInt8])? {
    if message.count == 16 || message.count == 20 { return (nil, message) }
    guard message.first == UInt8(ascii: "{"),
        let close = message.indices.dropFirst().prefix(9).first(where: { message[$0] == UInt8(ascii: "}") }),
        let digest = HandshakeDigest(rawValue: String(decoding: message[1..<close], as: UTF8.self))
    else { return nil }
    return (digest, Array(message[(close + 1)...]))
}

/// Whether `policy` lets a peer use `digest` (nil: legacy HMAC-MD5).
private func permits(_ policy: HandshakePolicy, _ digest: HandshakeDigest?) -> Bool {
    if digest == nil && !policy.allowLegacyMD5 { return false }
    if let minimum = policy.minimumDigest, (digest ?? .md5) < minimum { return false }
    return true
}

/// `_verify_challenge` against each key in turn: what a right reply to `challenge` proves, or nil.
private func verdict(reply: [UInt8], challenge: [UInt8], keys: [[UInt8]], policy: HandshakePolicy) -> HandshakeOutcome? {
    guard let (named, mac) = digestAndPayload(reply), permits(policy, named) else { return nil }
    let digest = named ?? .md5
    guard let index = keys.firstIndex(where: { hmac(digest, key: $0, message: challenge) == mac }) else { return nil }
    return HandshakeOutcome(keyIndex: index, digest: digest, legacy: named == nil)
}

/// `answer_challenge` up to the reply it sends: nil when the challenge frame must be refused.
private func answer(toChallengeFrame frame: [UInt8], key: [UInt8], policy: HandshakePolicy) -> [UInt8]? {
    guard frame.starts(with: challengeTag) else { return nil }
    let message = Array(frame.dropFirst(challengeTag.count))
    guard message.count >= 20, let (named, _) = digestAndPayload(message), permits(policy, named) else { return nil }
    guard let digest = named else { return hmac(.md5, key: key, message: message) }
    return Array("{\(digest.rawValue)}".utf8) + hmac(digest, key: key, message: message)
}

/// An action without its error text, which the model does not predict.
private enum Expected: Equatable {
    case send([UInt8])
    case established(reply: [UInt8]?, HandshakeOutcome)
    case fail(reply: [UInt8]?)
    case afterTheEnd

    func matches(_ action: HandshakeAction) -> Bool {
        switch (self, action) {
        case (.send(let expected), .send(let actual)): return expected == actual
        case (.established(let reply, let outcome), .established(let actualReply, let actualOutcome)):
            return reply == actualReply && outcome == actualOutcome
        case (.fail(let reply), .fail(let actualReply, _)): return reply == actualReply
        case (.afterTheEnd, .fail(nil, let error)): return error.code == .unexpectedFrame
        default: return false
        }
    }
}

/// The model of ServerHandshake, one frame at a time.
private struct ServerModel {
    enum State { case awaitingReply, awaitingChallenge(HandshakeOutcome), awaitingWelcome(HandshakeOutcome), finished }
    let keys: [[UInt8]]
    let policy: HandshakePolicy
    let challenge = Array("{sha256}".utf8) + listenerNonce
    var state = State.awaitingReply

    mutating func receive(_ frame: [UInt8]) -> Expected {
        switch state {
        case .awaitingReply:
            guard let outcome = verdict(reply: frame, challenge: challenge, keys: keys, policy: policy) else {
                state = .finished
                return .fail(reply: failure)
            }
            state = .awaitingChallenge(outcome)
            return .send(welcome)
        case .awaitingChallenge(let outcome):
            guard let reply = answer(toChallengeFrame: frame, key: keys[outcome.keyIndex], policy: policy) else {
                state = .finished
                return .fail(reply: nil)
            }
            state = .awaitingWelcome(outcome)
            return .send(reply)
        case .awaitingWelcome(let outcome):
            state = .finished
            return frame == welcome ? .established(reply: nil, outcome) : .fail(reply: nil)
        case .finished:
            return .afterTheEnd
        }
    }
}

/// The model of ClientHandshake, one frame at a time.
private struct ClientModel {
    enum State { case awaitingChallenge, awaitingVerdict, awaitingReply, finished }
    let key: [UInt8]
    let policy: HandshakePolicy
    let challenge: [UInt8]
    var state = State.awaitingChallenge

    mutating func receive(_ frame: [UInt8]) -> Expected {
        switch state {
        case .awaitingChallenge:
            guard let reply = answer(toChallengeFrame: frame, key: key, policy: policy) else {
                state = .finished
                return .fail(reply: nil)
            }
            state = .awaitingVerdict
            return .send(reply)
        case .awaitingVerdict:
            guard frame == welcome else {
                state = .finished
                return .fail(reply: nil)
            }
            state = .awaitingReply
            return .send(challengeTag + challenge)
        case .awaitingReply:
            state = .finished
            guard let outcome = verdict(reply: frame, challenge: challenge, keys: [key], policy: policy) else {
                return .fail(reply: failure)
            }
            return .established(reply: welcome, outcome)
        case .finished:
            return .afterTheEnd
        }
    }
}

// MARK: - The target

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshake(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let mode = input.byte()
    let clientDigest = HandshakeDigest.allCases[Int(input.byte()) % HandshakeDigest.allCases.count]
    let isClient = mode & 1 == 1
    let keys: [[UInt8]] =
        switch (mode >> 1) & 3 {
        case 0: [transcriptKey]
        case 1: [secretKey]
        case 2: [secretKey, transcriptKey]
        default: [transcriptKey, secretKey]
        }
    let minimumIndex = Int((mode >> 4) & 7)
    let policy = HandshakePolicy(
        allowLegacyMD5: mode & 8 == 0,
        minimumDigest: (1...5).contains(minimumIndex) ? HandshakeDigest.allCases[minimumIndex - 1] : nil
    )
    var frames: [[UInt8]] = []
    while !input.isEmpty, frames.count < 8 {
        let length = Int(input.byte())
        frames.append(Array(input.take(upTo: length)))
    }

    var server = ServerHandshake(keys: keys.map { SymmetricKey(data: $0) }, nonce: listenerNonce, policy: policy)
    var client = ClientHandshake(key: SymmetricKey(data: keys[0]), nonce: clientNonce, digest: clientDigest, policy: policy)
    var serverModel = ServerModel(keys: keys, policy: policy)
    var clientModel = ClientModel(key: keys[0], policy: policy, challenge: Array("{\(clientDigest.rawValue)}".utf8) + clientNonce)

    if !isClient {
        let challenge = server.start()
        invariant(
            challenge == challengeTag + serverModel.challenge,
            "the broker's challenge is \(hex(challenge)), CPython's would be \(hex(challengeTag + serverModel.challenge))"
        )
    }
    for (index, frame) in frames.enumerated() {
        let action = frame.withUnsafeBytes { isClient ? client.receive($0) : server.receive($0) }
        let expected = isClient ? clientModel.receive(frame) : serverModel.receive(frame)
        if case .established(_, let outcome) = action {
            invariant(
                keys[outcome.keyIndex] != secretKey,
                "established with the secret key, which no input holds: a wrong MAC was accepted (frame \(index + 1))"
            )
        }
        invariant(
            expected.matches(action),
            "\(isClient ? "client" : "server") frame \(index + 1) \(hex(frame)): got \(action), CPython's rules say \(expected)"
        )
        if case .fail(_, let error) = action { _ = error.description }
    }
    return 0
}

runLibFuzzer(fuzzHandshake)
