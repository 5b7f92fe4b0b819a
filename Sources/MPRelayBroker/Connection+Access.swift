import Logging
import MPRelayCore
import MPRelayProtocol
import MPRelayTLS

extension Connection {
    /// The handshake proved a key: binds the principal that owns it and takes one of its
    /// connection slots. Returns the principal as the endpoint admits it, or nil (and closes) when the
    /// principal is at its limit.
    func bindPrincipal(_ outcome: HandshakeOutcome) -> EndpointPrincipal? {
        guard let bound = endpoint.principal(ofKey: outcome.keyIndex, in: listener.description.principals) else {
            authenticationFailed("proved a key that a reload removed while the handshake was in progress")
            return nil
        }
        guard bound.acceptsCertificate(subject: tlsPeer?.subject, alternativeNames: tlsPeer?.alternativeNames ?? []) else {
            authenticationFailed("proved a key of principal \(bound.rules.name), but its client certificate (\(tlsPeer?.subject ?? "none")) is not one of the principal's tls_subjects")
            return nil
        }
        let rules = bound.rules
        principal = rules
        router.setAccess(rules.access)
        logger[metadataKey: "principal"] = "\(rules.name)"
        guard context.principalUsage.claim(.connections, for: rules.name, limit: rules.maxConnections) else {
            fail(.notPermitted, text: "principal \(rules.name) already has max_connections (\(rules.maxConnections ?? 0)) connections")
            return nil
        }
        holdsPrincipalConnection = true
        return bound
    }

    /// Gives back what this connection held of its principal's quota.
    func releasePrincipalQuota() {
        guard let principal else { return }
        if holdsPrincipalConnection { context.principalUsage.release(.connections, for: principal.name) }
        if holdsPrincipalName { context.principalUsage.release(.names, for: principal.name) }
        holdsPrincipalConnection = false
        holdsPrincipalName = false
    }

    /// Whether the principal may list peers and watch presence; logs and answers a refusal.
    func mayList(_ action: String, id: UInt64) -> Bool {
        guard let principal else { return false }
        guard case .denied(let rule) = principal.access.list() else { return true }
        deny(action, rule: rule, id: id)
        return false
    }

    /// Logs a refusal (throttled) naming the principal, the peer and the rule, and sends ERROR
    /// `not permitted`.
    func deny(_ action: String, rule: String, id: UInt64 = 0, peer: [UInt8] = []) {
        let principalName = principal?.name ?? "none"
        let (log, suppressed) = denialLog.shouldLog(now: Self.uptime())
        if log {
            let more = suppressed > 0 ? " (\(suppressed) more refusals not logged)" : ""
            logger.warning("not permitted: principal \(principalName)\(peerSuffix) may not \(action) (rule: \(rule))\(more)")
        }
        context.statistics.recordError(.notPermitted)
        sendToSelf(Envelope.error(ErrorReport(
            code: .notPermitted,
            correlationID: id,
            peer: peer,
            text: "principal \(principalName) may not \(action)"
        )).encodedFrame())
    }
}
