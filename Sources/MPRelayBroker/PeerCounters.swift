import Dispatch

/// One connection's traffic counters, confined to its queue.
struct PeerCounters {
    var messagesIn = 0
    var bytesIn = 0
    /// Messages and bytes relayed in the current read batch, not yet added to the broker totals.
    var pendingMessages = 0
    var pendingBytes = 0
    /// When the peer registered.
    var registeredAt: DispatchWallTime?
}
