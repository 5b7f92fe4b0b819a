import Dispatch
import Logging
import MPRelayCluster
import MPRelayCore
import MPRelayProtocol

extension Connection {
    /// Where a HELLO stands after the cluster-wide claim.
    enum ClusterClaimStep {
        /// Go on with the local registration; `replacedRemote` when the name was taken over from
        /// another node.
        case proceed(replacedRemote: Bool)
        /// Refuse the HELLO.
        case refused(RegistrationRefusal)
    }

    /// Claims `name` in the cluster's bucket before it is registered here, so that no two nodes
    /// ever both register it. A name held by a local peer is left to the local registration
    /// (refused or replaced there, as on one node: the claim stays this node's); a HELLO the
    /// version or `may_register` refuses claims nothing.
    func claimClusterWide(version: UInt8, name: PeerName, principal: PrincipalRules) -> ClusterClaimStep {
        guard let cluster, context.registry.holder(of: name) == nil else { return .proceed(replacedRemote: false) }
        if let refusal = context.registrar.check(version: version, name: name, principal: principal) { return .refused(refusal) }
        switch cluster.claim(name, for: id, replace: principal.onNameConflict == .replace) {
        case .claimed(let replacedRemote):
            if replacedRemote { logger.info("took the name \(name) over from another node") }
            return .proceed(replacedRemote: replacedRemote)
        case .taken(let holder):
            return .refused(holder.map { .heldOnNode($0) } ?? .nameTaken)
        case .unavailable(let error):
            return .refused(.clusterUnavailable(reason: "\(error)"))
        }
    }

    /// A SEND for a peer on `node`: staged for that node as a DELIVER stamped with this peer's
    /// name, and published with the rest of the read batch (``publishRemoteStaging()``). The
    /// receiving node answers with an ERROR, or an ACK for `confirm`; when the message cannot
    /// leave this node the sender gets ERROR `cluster unavailable`.
    func sendRemotely(_ message: MessageView, to peer: RemotePeer) {
        guard let cluster else { return }
        if let refusal = cluster.stage(message, from: senderName.bytes, connection: UInt64(id), to: peer, in: &remoteStaging) {
            report(refusal.code, id: message.correlationID, peer: message.peer, text: "the message for \"\(peer.name)\" on node \(peer.node) could not be sent: \(refusal.reason)")
            return
        }
        if traceEnabled { logger.trace("relayed \(message.payload.count) bytes to \(peer.name) on node \(peer.node)") }
    }

    /// Publishes the deliveries staged for other nodes, one write per frame. Those NATS does not
    /// take get ERROR `cluster unavailable`: nothing is dropped unsaid.
    func publishRemoteStaging() {
        guard let cluster, !remoteStaging.isEmpty else { return }
        let sends = remoteStaging.sends
        var sent = sends.count
        if let failure = cluster.publish(&remoteStaging) {
            sent -= failure.unsent.count
            for send in failure.unsent.map({ sends[$0] }) {
                send.receiver.bytes.withUnsafeBytes { peer in
                    report(.clusterUnavailable, id: send.correlationID, peer: peer, text: "the message for \"\(send.receiver)\" on node \(send.receiverNode) could not be sent: \(failure.error)")
                }
            }
        }
        batch.messages += sent
        if sent == sends.count { batch.bytes += remoteStaging.payloadBytes }
        remoteStaging.reset()
    }

    /// The answer another node sent about one of this peer's deliveries, from the cluster's
    /// queue: queued like a reply of this node's own (within twice the outbound bound; a peer
    /// that reads none of its replies is disconnected).
    func receiveOutcome(_ envelope: Envelope) {
        if case .error(let report) = envelope, let code = report.code { context.statistics.recordError(code) }
        let frame = envelope.encodedFrame()
        let bound = 2 * context.limits.maxOutboundBytes
        switch enqueue(frameLength: frame.count, bound: bound, { $0.append(contentsOf: frame) }) {
        case .queued:
            break
        case .queuedNeedsFlush:
            scheduleFlush()
        case .full:
            queue.async { [self] in
                teardown(reason: "does not read its replies (outbound queue over \(bound) bytes)", level: .warning)
            }
        case .closed:
            break
        }
    }
}
