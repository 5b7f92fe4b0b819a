public import MPRelayNATS

/// The `[cluster]` table: this node's place in a cluster of mprelayd nodes joined through NATS.
///
/// A configuration without the table has no ``ClusterConfig`` at all, and no NATS code runs.
/// The property initial values are the defaults; ``ClusterConfig/settings`` lists every key with
/// its bounds, and docs/CONFIG.md is checked against it by a test. A reload refuses any change to
/// the table (``ClusterConfig/reloadRefusal(running:new:)``): joining, leaving or moving a node
/// needs a restart.
public struct ClusterConfig: Equatable, Sendable {
    /// This node's id, unique in the cluster; a NATS subject token and a key-value key token.
    public var node: String
    /// The cluster's name, so that two clusters can share one NATS system: the name bucket is
    /// `mprelay_<name>` and every subject starts with `mprelay.<name>.`.
    public var name = "mprelay"
    /// The NATS servers, tried in order; at least one.
    public var nats: [NATSServerAddress] = []
    /// The NATS user name, sent with ``password``.
    public var user: String?
    /// The NATS password, read from ``passwordFile``.
    public var password: String?
    /// The file the password was read from.
    public var passwordFile: String?
    /// The NATS token, read from ``tokenFile``; never set together with ``user``.
    public var token: String?
    /// The file the token was read from.
    public var tokenFile: String?
    /// PEM: the CAs the NATS servers' certificates must be signed by. Set: TLS with every
    /// server, and a server that does not offer it is refused. Nil: plain TCP.
    public var tlsCAFile: String?
    /// PEM: the certificate this node presents to NATS servers that ask for one.
    public var tlsCertificateFile: String?
    /// PEM: the private key of ``tlsCertificateFile``; must not be readable by other users.
    public var tlsKeyFile: String?
    /// The name the NATS servers' certificates must carry; nil: the host of each server's URL.
    public var tlsServerName: String?
    /// The client TLS context loaded from the files above; nil without ``tlsCAFile``.
    public var tls: NATSClientTLS?
    /// Seconds within which the names of a node that died are free again.
    public var nameLease = 10.0
    /// Seconds one NATS request (a name claim, a release) may take before it counts as failed.
    public var natsTimeout = 2.0
    /// Bytes of cross-node traffic held while no NATS server is reachable; beyond it senders get
    /// `cluster unavailable`.
    public var maxPendingBytes = 8 * 1024 * 1024

    /// The defaults, with `node` as given (the loader passes the host name).
    public init(node: String) {
        self.node = node
    }

    /// What the node sends in NATS `CONNECT`.
    public var credentials: NATSConnectionOptions.Credentials {
        if let user, let password { return .userPassword(user: user, password: password) }
        if let token { return .token(token) }
        return .none
    }

    /// Why a reload from `running` to `new` must be refused, or nil when the `[cluster]` table
    /// did not change. Any change is refused: a node cannot change its id, cluster, servers,
    /// credentials or TLS files (their contents included: a renewed certificate waits for a
    /// restart) while it holds names, and the table is applied whole or not at all.
    public static func reloadRefusal(running: ClusterConfig?, new: ClusterConfig?) -> String? {
        guard let running, let new else {
            switch (running, new) {
            case (nil, .some): return "[cluster] was added: joining a cluster needs a restart"
            case (.some, nil): return "[cluster] was removed: leaving the cluster needs a restart"
            default: return nil
            }
        }
        let differences = [
            ("node", running.node != new.node),
            ("name", running.name != new.name),
            ("nats", running.nats != new.nats),
            ("nats_user", running.user != new.user),
            ("nats_password_file", running.passwordFile != new.passwordFile || running.password != new.password),
            ("nats_token_file", running.tokenFile != new.tokenFile || running.token != new.token),
            ("nats_tls_ca_file", running.tlsCAFile != new.tlsCAFile || running.tls?.caBytes != new.tls?.caBytes),
            ("nats_tls_cert_file", running.tlsCertificateFile != new.tlsCertificateFile || running.tls?.certificateBytes != new.tls?.certificateBytes),
            ("nats_tls_key_file", running.tlsKeyFile != new.tlsKeyFile || running.tls?.keyBytes != new.tls?.keyBytes),
            ("nats_tls_server_name", running.tlsServerName != new.tlsServerName),
            ("name_lease", running.nameLease != new.nameLease),
            ("nats_timeout", running.natsTimeout != new.natsTimeout),
            ("max_pending_bytes", running.maxPendingBytes != new.maxPendingBytes),
        ]
        let changed = differences.filter(\.1).map { "cluster.\($0.0)" }
        guard !changed.isEmpty else { return nil }
        return "\(changed.joined(separator: ", ")) changed: a [cluster] change needs a restart"
    }
}
