import ArgumentParser
import MPRelayControl

/// `mprelayctl peers`.
struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract: "List the registered peers with their traffic and queues.",
        discussion: """
            One row per registered peer, sorted by name: its name; its connection number (as in \
            the daemon's Connection-N log lines); the endpoint it came through; its remote \
            address (host:port, or the pid and uid of an AF_UNIX client); the handshake digest it \
            used; how long it has been connected; the messages and payload bytes it sent that \
            were relayed (IN) and the frames and bytes queued to it (OUT); and what waits in its \
            outbound queue now (QUEUED): a peer that does not read shows a growing queue.

            With --cluster, on a node of a cluster: every peer of the cluster, with a NODE column \
            after NAME; this node's peers with all their columns, the other nodes' peers with \
            their name and node only (ask their own node for the rest). On a single node \
            --cluster changes nothing.

            Examples:
              mprelayctl peers
              mprelayctl peers --watch 2
              mprelayctl peers --cluster
              mprelayctl peers --json | jq -r '.result.peers[].name'
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var watch: WatchOption

    @Flag(help: "List the peers of every node of the cluster, each with its node.")
    var cluster = false

    func run() throws {
        let request: ControlRequest = cluster ? .clusterPeers : .peers
        try ControlCall<PeerList>(options: connection, request: request, render: \.humanText).run(watch: watch.watch)
    }
}
