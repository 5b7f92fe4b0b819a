/// The outcome of one nonblocking read or write on a socket, as the relay path switches on it.
public enum IOResult: Equatable, Sendable {
    /// This many bytes moved (more than zero).
    case transferred(Int)
    /// The socket has nothing to give or no room; wait for the next event.
    case wouldBlock
    /// The peer closed its side (reads only).
    case endOfFile
    /// The connection failed with this errno.
    case failed(Int32)
}
