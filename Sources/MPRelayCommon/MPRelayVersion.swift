/// The version of mprelay, reported by `--version` and the control socket.
public enum MPRelayVersion {
    public static let current = "0.1.0"
}
