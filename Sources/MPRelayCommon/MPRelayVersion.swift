/// The version of mprelay, reported by `--version` and the control socket.
public enum MPRelayVersion {
    /// This build's version, `MAJOR.MINOR.PATCH` (packaging/install.mk reads it from this line).
    public static let current = "0.1.0"
}
