import Glibc

/// One large read buffer per thread, so a connection reads up to 256 KiB at once without holding
/// a buffer of its own while idle. Only the incomplete tail of a read is copied out, into the
/// connection's `FrameDecoder`.
public enum ReadScratch {
    /// Bytes read per `recv(2)` at most.
    public static let size = 256 * 1024

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in pointer?.deallocate() }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// Calls `body` with this thread's buffer. Not reentrant: `body` must not call it again.
    public static func withBuffer<Result>(_ body: (UnsafeMutableRawBufferPointer) -> Result) -> Result {
        var pointer = pthread_getspecific(key)
        if pointer == nil {
            let fresh = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            pthread_setspecific(key, fresh)
            pointer = fresh
        }
        return body(UnsafeMutableRawBufferPointer(start: pointer, count: size))
    }
}
