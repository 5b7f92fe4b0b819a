import Glibc

/// The directory mprelayd keeps its runtime files in when the configuration does not say: the
/// embedded default's socket and key file, and the control socket.
public enum RuntimeDirectory {
    /// The directory of a daemon started by root without `RUNTIME_DIRECTORY` or
    /// `XDG_RUNTIME_DIR`, and the one the packaged service's unit asks systemd for.
    public static let system = "/run/mprelay"

    /// `$RUNTIME_DIRECTORY` (its first entry) under systemd, else `$XDG_RUNTIME_DIR/mprelay`,
    /// else ``system`` for root and `/tmp/mprelay-UID` for anyone else.
    ///
    /// - Parameter environment: the environment of the process that would start the daemon.
    public static func path(environment: [String: String]) -> String {
        if let directory = environment["RUNTIME_DIRECTORY"], !directory.isEmpty {
            return String(directory.split(separator: ":").first ?? Substring(directory))
        }
        if let directory = environment["XDG_RUNTIME_DIR"], !directory.isEmpty { return directory + "/mprelay" }
        return getuid() == 0 ? system : "/tmp/mprelay-\(getuid())"
    }
}
