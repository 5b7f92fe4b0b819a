import Dispatch

/// The subscription messages one read of the socket brought, handed to their queues with one
/// dispatch per run of messages for the same queue rather than one per message. Order holds:
/// runs are dispatched in the order they were read, and a queue runs its blocks in order.
struct DeliveryBatch {
    private struct Delivery {
        let handler: @Sendable (NATSMessage) -> Void
        let message: NATSMessage
    }

    private struct Run {
        let queue: DispatchQueue
        var deliveries: [Delivery]
    }

    private var runs: [Run] = []

    /// Adds `message` for `handler` on `queue`.
    mutating func append(_ message: NATSMessage, to handler: @escaping @Sendable (NATSMessage) -> Void, on queue: DispatchQueue) {
        if let last = runs.indices.last, runs[last].queue === queue {
            runs[last].deliveries.append(Delivery(handler: handler, message: message))
        } else {
            runs.append(Run(queue: queue, deliveries: [Delivery(handler: handler, message: message)]))
        }
    }

    /// Dispatches every run to its queue and empties the batch.
    mutating func dispatch() {
        for run in runs {
            let deliveries = run.deliveries
            run.queue.async {
                for delivery in deliveries { delivery.handler(delivery.message) }
            }
        }
        runs = []
    }
}
