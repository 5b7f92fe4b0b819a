import Glibc
import MPRelayPOSIX
import MPRelayTLS

/// A blocking TCP socket to one server, with send and receive timeouts, in TLS once
/// ``startTLS(_:serverName:)`` made it so.
///
/// The reader thread owns the descriptor and closes it; writers use it only under the
/// connection's write lock while the connection says it is up, so a number the kernel has
/// reused is never written to. ``shutdown()`` may be called from anywhere to wake the reader.
final class NATSSocket: Sendable {
    let descriptor: Int32
    let address: NATSServerAddress
    /// The TLS layer every byte goes through, for a server that asked for TLS.
    let tls: TLSStream?

    private init(descriptor: Int32, address: NATSServerAddress, tls: TLSStream? = nil) {
        self.descriptor = descriptor
        self.address = address
        self.tls = tls
    }

    /// The same socket in TLS: runs the handshake, checking the server's certificate against
    /// `serverName`. Called after the server's first `INFO`, before anything else is sent.
    ///
    /// - Throws: ``NATSError/tls(url:detail:)`` saying why TLS failed.
    func startTLS(_ context: TLSContext, serverName: String) throws(NATSError) -> NATSSocket {
        do {
            return NATSSocket(descriptor: descriptor, address: address, tls: try TLSStream(descriptor: descriptor, context: context, serverName: serverName))
        } catch {
            let detail = "\(error) (server name \(serverName))"
            throw error.isRefusal ? .refused(url: address.description, detail: detail) : .tls(url: address.description, detail: detail)
        }
    }

    /// Connects to `address` within `timeout`, trying each address the host resolves to.
    static func connect(to address: NATSServerAddress, timeout: Duration, ioTimeout: Duration) throws(NATSError) -> NATSSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &list)
        guard status == 0, let list else {
            throw .handshake(url: address.description, detail: "cannot resolve the host: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var failure = NATSError.handshake(url: address.description, detail: "the host resolves to no address")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            entry = current.pointee.ai_next
            let info = current.pointee
            let descriptor = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), info.ai_protocol)
            guard descriptor >= 0 else {
                failure = .socket(url: address.description, operation: "socket", errno: errno)
                continue
            }
            if let error = waitForConnect(descriptor, info.ai_addr, info.ai_addrlen, timeout: timeout) {
                Glibc.close(descriptor)
                failure = .socket(url: address.description, operation: "connect", errno: error)
                continue
            }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let socket = NATSSocket(descriptor: descriptor, address: address)
            socket.setTimeout(SO_RCVTIMEO, ioTimeout)
            socket.setTimeout(SO_SNDTIMEO, ioTimeout)
            return socket
        }
        throw failure
    }

    /// The errno of a failed non-blocking connect, nil once connected.
    private static func waitForConnect(_ descriptor: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t, timeout: Duration) -> Int32? {
        if Glibc.connect(descriptor, address, length) == 0 { return nil }
        guard errno == EINPROGRESS else { return errno }
        var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&poller, 1, Int32(timeout.milliseconds))
        guard ready > 0 else { return ready == 0 ? ETIMEDOUT : errno }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &size)
        return error == 0 ? nil : error
    }

    /// Sets the receive timeout, which paces keepalive `PING`s on an idle connection.
    func setTimeout(_ option: Int32, _ duration: Duration) {
        let milliseconds = duration.milliseconds
        var value = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes`; fails on a timeout or a broken connection.
    func sendAll(_ bytes: [UInt8]) throws(NATSError) {
        try sendAll(bytes[...])
    }

    /// Sends every byte of `bytes`, through TLS when the socket is in TLS.
    func sendAll(_ bytes: ArraySlice<UInt8>) throws(NATSError) {
        if let tls {
            do {
                try bytes.withUnsafeBytes { bytes in Result { () throws(TLSError) in try tls.send(bytes) } }.get()
            } catch {
                throw .tls(url: address.description, detail: "\(error)")
            }
            return
        }
        var offset = 0
        while offset < bytes.count {
            switch bytes.withUnsafeBytes({ SocketIO.write(descriptor, UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
            case .transferred(let count): offset += count
            case .wouldBlock, .endOfFile: throw .socket(url: address.description, operation: "send", errno: EAGAIN)
            case .failed(let code): throw .socket(url: address.description, operation: "send", errno: code)
            }
        }
    }

    /// What one receive got.
    enum Received {
        case bytes(Int)
        case timedOut
        case closed
        case failed(String)
    }

    /// One `recv` into `buffer` (in TLS: what the records received so far decrypt to).
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> Received {
        if let tls {
            do {
                switch try tls.receive(into: buffer) {
                case .bytes(let count): return .bytes(count)
                case .timedOut: return .timedOut
                case .closed: return .closed
                }
            } catch {
                return .failed("TLS: \(error)")
            }
        }
        switch SocketIO.read(descriptor, into: buffer) {
        case .transferred(let count): return .bytes(count)
        case .endOfFile: return .closed
        case .wouldBlock: return .timedOut
        case .failed(let code): return .failed("recv failed: \(String(cString: strerror(code)))")
        }
    }

    /// Wakes the reader and fails the writers; the descriptor stays open until ``close()``.
    func shutdown() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Closes the descriptor: the reader thread's last step with this socket.
    func close() {
        _ = Glibc.close(descriptor)
    }
}
