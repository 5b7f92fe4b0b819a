import Foundation

/// The JetStream API over core NATS: JSON requests to `$JS.API.…` subjects, JSON answers that
/// carry either the result or `{"error":{"code","err_code","description"}}`.
enum JetStreamAPI {
    /// The `err_code` of a publish whose expected last subject sequence did not match.
    static let wrongLastSequence = 10071
    /// The `err_code` of a stream that exists with another configuration.
    static let streamNameInUse = 10058
    /// The `err_code` of a message get that found nothing.
    static let noMessageFound = 10037

    struct APIError: Decodable {
        let code: Int
        let errCode: Int?
        let description: String?

        enum CodingKeys: String, CodingKey {
            case code, errCode = "err_code", description
        }
    }

    private struct ErrorEnvelope: Decodable {
        let error: APIError?
    }

    /// A publish acknowledgement: the stream sequence of the stored message.
    struct PubAck: Decodable {
        let seq: UInt64
    }

    /// The answer to `STREAM.MSG.GET`.
    struct StoredMessage: Decodable {
        struct Message: Decodable {
            let subject: String
            let seq: UInt64
            let hdrs: String?
            let data: String?
        }

        let message: Message
    }

    /// The answer to `CONSUMER.CREATE`.
    struct ConsumerInfo: Decodable {
        let name: String
        let numPending: UInt64

        enum CodingKeys: String, CodingKey {
            case name, numPending = "num_pending"
        }
    }

    /// Sends `body` to `subject` and decodes the answer as `T`.
    ///
    /// - Throws: ``NATSError/jetStream(subject:code:errorCode:description:)`` for an API error,
    ///   ``NATSError/noResponders(subject:)`` when JetStream is not there,
    ///   ``NATSError/malformedResponse(subject:detail:)``, or the request's own failures.
    static func request<T: Decodable>(
        _ connection: NATSConnection,
        _ subject: String,
        headers: NATSHeaders? = nil,
        body: [UInt8],
        timeout: Duration,
        as type: T.Type
    ) throws(NATSError) -> T {
        let answer = try connection.request(subject, headers: headers, payload: body, timeout: timeout)
        return try decode(answer.payload, from: subject, as: type)
    }

    /// Decodes an API answer, turning `{"error":…}` into ``NATSError/jetStream(subject:code:errorCode:description:)``.
    static func decode<T: Decodable>(_ payload: [UInt8], from subject: String, as type: T.Type) throws(NATSError) -> T {
        let decoder = JSONDecoder()
        let data = Data(payload)
        if let envelope = try? decoder.decode(ErrorEnvelope.self, from: data), let error = envelope.error {
            throw .jetStream(subject: subject, code: error.code, errorCode: error.errCode ?? 0, description: error.description ?? "")
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw .malformedResponse(subject: subject, detail: "\(error)")
        }
    }

    /// Encodes a request body.
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The request types hold strings, numbers and booleans only.
        return Array(try! encoder.encode(value))
    }
}
