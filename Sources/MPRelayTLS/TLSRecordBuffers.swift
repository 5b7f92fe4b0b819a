internal import COpenSSL

/// The ciphertext between a ``TLSSession`` and its owner's socket, as Swift arrays OpenSSL
/// reads and writes through a BIO of our own.
///
/// OpenSSL's memory BIO would do the same job at the cost of three extra passes over every
/// byte sent (zeroing as it grows, the copy out, zeroing again at reset) and two over every byte
/// received; on the 4 KiB relay path those passes cost as much as the cipher. Records written
/// here land in ``outgoing`` with one copy, which the owner takes by swapping arrays.
final class TLSRecordBuffers {
    /// Ciphertext made by the session, waiting to be sent.
    var outgoing: [UInt8] = []
    /// Ciphertext received, of which the first ``consumed`` bytes have been read by the session.
    var incoming: [UInt8] = []
    var consumed = 0

    /// Bytes received and not yet read by the session.
    var unreadCount: Int { incoming.count - consumed }

    /// Appends ciphertext received from the peer, first dropping what the session has read.
    func receive(_ bytes: UnsafeRawBufferPointer) {
        if consumed == incoming.count {
            incoming.removeAll(keepingCapacity: true)
            consumed = 0
        } else if consumed > 0 {
            incoming.removeFirst(consumed)
            consumed = 0
        }
        incoming.append(contentsOf: bytes)
    }

    /// A BIO that reads from ``incoming`` and writes to ``outgoing`` of `self`, which must
    /// outlive it (the session frees the BIO before it lets go of the buffers).
    func makeBIO() -> OpaquePointer? {
        guard let bio = BIO_new(Self.method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    private static func buffers(of bio: OpaquePointer?) -> TLSRecordBuffers {
        Unmanaged<TLSRecordBuffers>.fromOpaque(BIO_get_data(bio)!).takeUnretainedValue()
    }

    private static let retryFlags = Int32(BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)

    /// Made once: OpenSSL keeps methods for the life of the process.
    nonisolated(unsafe) private static let method: OpaquePointer = {
        guard let method = BIO_meth_new(BIO_get_new_index() | Int32(BIO_TYPE_SOURCE_SINK), "mprelay TLS records") else {
            preconditionFailure("OpenSSL cannot make a BIO method: out of memory")
        }
        BIO_meth_set_write(method) { bio, data, length in
            guard let data, length > 0 else { return 0 }
            TLSRecordBuffers.buffers(of: bio).outgoing.append(contentsOf: UnsafeRawBufferPointer(start: data, count: Int(length)))
            return length
        }
        BIO_meth_set_read(method) { bio, data, length in
            BIO_clear_flags(bio, TLSRecordBuffers.retryFlags)
            let buffers = TLSRecordBuffers.buffers(of: bio)
            let count = min(Int(length), buffers.unreadCount)
            guard let data, count > 0 else {
                // Nothing received yet: "try again", which SSL_read reports as WANT_READ.
                BIO_set_flags(bio, Int32(BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY))
                return -1
            }
            buffers.incoming.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(data).copyMemory(from: bytes.baseAddress! + buffers.consumed, byteCount: count)
            }
            buffers.consumed += count
            return Int32(count)
        }
        BIO_meth_set_ctrl(method) { bio, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH: return 1
            case BIO_CTRL_PENDING: return TLSRecordBuffers.buffers(of: bio).unreadCount
            case BIO_CTRL_WPENDING: return TLSRecordBuffers.buffers(of: bio).outgoing.count
            default: return 0
            }
        }
        return method
    }()
}
