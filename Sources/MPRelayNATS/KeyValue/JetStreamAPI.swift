import Foundation
import Glibc

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
        struct Delivered: Decodable {
            let consumerSequence: UInt64

            enum CodingKeys: String, CodingKey {
                case consumerSequence = "consumer_seq"
            }
        }

        let name: String
        let numPending: UInt64
        let delivered: Delivered

        enum CodingKeys: String, CodingKey {
            case name, numPending = "num_pending", delivered
        }

        /// The messages the consumer had to deliver when it was created: those still pending
        /// and those it had already pushed by the time it answered.
        var initialCount: UInt64 { numPending + delivered.consumerSequence }
    }

    /// The pause before asking again when nobody answered: a stream whose leader was lost has
    /// none until its replicas elect another (nats.go's publish waits as long between tries).
    static let retryWait: Duration = .milliseconds(250)

    /// Sends `body` to `subject` and decodes the answer as `T`; while nobody answers, asks again
    /// every ``retryWait`` until `timeout` has passed.
    ///
    /// - Throws: ``NATSError/jetStream(subject:code:errorCode:description:)`` for an API error,
    ///   ``NATSError/noResponders(subject:)`` when JetStream is still not there at the end,
    ///   ``NATSError/malformedResponse(subject:detail:)``, or the request's own failures.
    static func request<T: Decodable>(
        _ connection: NATSConnection,
        _ subject: String,
        headers: NATSHeaders? = nil,
        body: [UInt8],
        timeout: Duration,
        as type: T.Type
    ) throws(NATSError) -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            do {
                let answer = try connection.request(subject, headers: headers, payload: body, timeout: deadline - clock.now)
                return try decode(answer.payload, from: subject, as: type)
            } catch .noResponders where clock.now + retryWait < deadline {
                usleep(UInt32(retryWait.milliseconds) * 1000)
            }
        }
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
