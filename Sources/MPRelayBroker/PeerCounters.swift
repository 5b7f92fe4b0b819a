/// Relay counts of the current read batch, confined to the connection's queue and published to
/// the shared meters once per batch.
struct PeerCounters {
    var messages = 0
    var bytes = 0
}
