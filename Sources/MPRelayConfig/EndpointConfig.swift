/// One `[[endpoint]]` table: an address to listen on and the key its clients must prove.
public struct EndpointConfig: Equatable, Sendable {
    /// Where to listen.
    public var address: EndpointAddress
    /// The key clients of this endpoint authenticate with.
    public var authkey: Authkey
    /// The permission bits of an AF_UNIX socket file.
    public var mode: UInt32

    /// The mode given to socket files when `mode` is not set.
    public static let defaultMode: UInt32 = 0o660

    public init(address: EndpointAddress, authkey: Authkey, mode: UInt32 = EndpointConfig.defaultMode) {
        self.address = address
        self.authkey = authkey
        self.mode = mode
    }

    /// The keys of an `[[endpoint]]` table, for the loader and the docs.
    public static let keys = ["address", "authkey_file", "authkey_credential", "authkey", "mode"]
}
