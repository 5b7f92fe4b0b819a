import Dispatch

/// The subscription messages one read of the socket brought, handed to their queues with one
/// dispatch per run of messages for the same subscription rather than one per message, followed
/// by the subscription's after-run work; a subscription without a queue has its runs handled
/// right there, on the reader thread. Order holds: runs are handed over in the order they were
/// read, and a queue runs its blocks in order.
struct DeliveryBatch {
    private struct Run {
        let sid: UInt64
        let queue: DispatchQueue?
        let handler: @Sendable (NATSMessage) -> Void
        let afterRun: (@Sendable () -> Void)?
        var messages: [NATSMessage]
    }

    private var runs: [Run] = []

    /// Adds `message` (of subscription `message.sid`) for `handler` on `queue`.
    mutating func append(
        _ message: NATSMessage,
        to handler: @escaping @Sendable (NATSMessage) -> Void,
        on queue: DispatchQueue?,
        afterRun: (@Sendable () -> Void)?
    ) {
        if let last = runs.indices.last, runs[last].sid == message.sid {
            runs[last].messages.append(message)
        } else {
            runs.append(Run(sid: message.sid, queue: queue, handler: handler, afterRun: afterRun, messages: [message]))
        }
    }

    /// Dispatches every run to its queue, or handles it here, and empties the batch.
    mutating func dispatch() {
        for run in runs {
            guard let queue = run.queue else {
                for message in run.messages { run.handler(message) }
                run.afterRun?()
                continue
            }
            queue.async {
                for message in run.messages { run.handler(message) }
                run.afterRun?()
            }
        }
        runs = []
    }
}
