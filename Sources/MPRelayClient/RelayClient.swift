import Crypto
import Glibc
public import MPRelayConfig
public import MPRelayProtocol
public import MPRelayTLS

/// A blocking mprelay client for one thread: connect, authenticate, register, send and receive.
///
/// It is what `mprelay-bench` and the broker's own tests use, and a starting point for Swift
/// programs that talk to Python peers. Sends are batched: ``send(_:to:flags:correlationID:options:)``
/// appends to a write buffer that ``flush()`` writes with as few syscalls as possible.
public final class RelayClient {
    /// The name this client registered.
    public let name: PeerName
    /// The largest payload the broker accepts, from its WELCOME.
    public private(set) var maxMessageBytes = 0
    /// The file descriptor, for `poll(2)`.
    public let fileDescriptor: Int32

    private var decoder = FrameDecoder(maxBodyLength: HandshakeMessage.maxFrameLength)
    private var readBuffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var writeBuffer: [UInt8] = []
    private var received: [Envelope] = []
    private var receivedIndex = 0
    private var tls: TLSStream?

    /// Connects to `address`, authenticates with `authkey` and registers `name`.
    ///
    /// - Parameters:
    ///   - tls: for a TLS endpoint, a client ``TLSContext`` trusting the broker's CA.
    ///   - serverName: the name the broker's certificate must carry (default: the address's host).
    /// - Throws: ``RelayClientError`` saying which step failed.
    public init(
        connectingTo address: EndpointAddress,
        authkey: [UInt8],
        name: PeerName,
        tls context: TLSContext? = nil,
        serverName: String? = nil
    ) throws(RelayClientError) {
        self.name = name
        self.fileDescriptor = try Self.connect(address)
        do {
            if let context {
                tls = try Self.startTLS(fileDescriptor, context, serverName: serverName ?? Self.host(of: address))
            }
            try authenticate(authkey: authkey)
            try register()
        } catch {
            close(fileDescriptor)
            throw error
        }
    }

    deinit { close(fileDescriptor) }

    /// Runs the TLS handshake: a refused certificate or version fails authentication, a broker
    /// that hangs up mid-handshake (a plain endpoint, say) closes.
    private static func startTLS(_ fd: Int32, _ context: TLSContext, serverName: String) throws(RelayClientError) -> TLSStream {
        do {
            return try TLSStream(descriptor: fd, context: context, serverName: serverName)
        } catch {
            throw RelayClientError(error.code == .transport ? .closed : .authenticationFailed, "TLS with \(serverName): \(error)")
        }
    }

    // MARK: Sending

    /// Queues a SEND; call ``flush()`` to write it.
    public func send(
        _ payload: UnsafeRawBufferPointer,
        to peer: PeerName,
        flags: UInt8 = 0,
        correlationID: UInt64 = 0,
        options: MessageOptions = []
    ) {
        peer.bytes.withUnsafeBytes { name in
            MessageView.appendFrame(
                kind: .send,
                options: options,
                flags: flags,
                correlationID: correlationID,
                peer: name,
                payload: payload,
                to: &writeBuffer
            )
        }
    }

    /// Queues any envelope; call ``flush()`` to write it.
    public func queue(_ envelope: Envelope) {
        envelope.appendFrame(to: &writeBuffer)
    }

    /// The bytes queued and not yet written.
    public var queuedByteCount: Int { writeBuffer.count }

    /// Writes everything queued, blocking until it is out.
    public func flush() throws(RelayClientError) {
        if let tls {
            do {
                try writeBuffer.withUnsafeBytes { bytes in Result { () throws(TLSError) in try tls.send(bytes) } }.get()
            } catch {
                throw RelayClientError(.ioFailed, "\(error)")
            }
        } else {
            try Self.sendAll(fileDescriptor, writeBuffer)
        }
        writeBuffer.removeAll(keepingCapacity: true)
    }

    /// Writes all of `bytes` to `fd`, blocking.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws(RelayClientError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw RelayClientError(.ioFailed, "send failed: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }

    // MARK: Receiving

    /// Blocks until the next envelope arrives.
    public func receive() throws(RelayClientError) -> Envelope {
        while receivedIndex == received.count {
            received.removeAll(keepingCapacity: true)
            receivedIndex = 0
            try receiveFrames { body throws(RelayClientError) in
                do {
                    received.append(try Envelope(decoding: body))
                } catch {
                    throw RelayClientError(.ioFailed, "the broker sent an invalid envelope: \(error)")
                }
            }
        }
        defer { receivedIndex += 1 }
        return received[receivedIndex]
    }

    /// Blocks for one read and calls `handle` with every whole frame body it completes, in place.
    /// For callers that count or check frames without decoding them into values.
    public func receiveFrames(_ handle: (UnsafeRawBufferPointer) throws(RelayClientError) -> Void) throws(RelayClientError) {
        let count: Int
        if let tls {
            let received: TLSStream.Received
            do {
                received = try readBuffer.withUnsafeMutableBytes { buffer in Result { () throws(TLSError) in try tls.receive(into: buffer) } }.get()
            } catch {
                throw RelayClientError(.ioFailed, "\(error)")
            }
            switch received {
            case .bytes(let read): count = read
            case .closed: count = 0
            case .timedOut: throw RelayClientError(.ioFailed, "recv failed: \(String(cString: strerror(EAGAIN)))")
            }
        } else {
            count = readBuffer.withUnsafeMutableBytes { recv(fileDescriptor, $0.baseAddress, $0.count, 0) }
        }
        if count < 0 {
            if errno == EINTR { return }
            throw RelayClientError(.ioFailed, "recv failed: \(String(cString: strerror(errno)))")
        }
        guard count > 0 else { throw RelayClientError(.closed, "the broker closed the connection") }
        var failure: RelayClientError?
        do {
            try readBuffer.withUnsafeBytes { bytes in
                try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { body in
                    do throws(RelayClientError) {
                        try handle(body)
                        return .proceed
                    } catch {
                        failure = error
                        return .stop
                    }
                }
            }
        } catch {
            throw RelayClientError(.ioFailed, "invalid frame from the broker: \(error)")
        }
        if let failure { throw failure }
    }

    // MARK: Setting up

    /// The host part of a TCP address, the name a TLS server certificate must carry.
    private static func host(of address: EndpointAddress) -> String {
        switch address {
        case .inet(let host, _), .inet6(let host, _): host
        case .unixPath, .unixAbstract, .systemdSocket: "localhost"
        }
    }

    private static func connect(_ address: EndpointAddress) throws(RelayClientError) -> Int32 {
        if let sunPath = address.unixPathBytes {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw RelayClientError(.connectFailed, "socket: \(String(cString: strerror(errno)))") }
            guard EndpointAddress.withUnixSocketAddress(sunPath, { Glibc.connect(fd, $0, $1) }) == 0 else {
                let error = errno
                close(fd)
                throw RelayClientError(.connectFailed, "connect \(address): \(String(cString: strerror(error)))")
            }
            return fd
        }
        let (host, port, family): (String, Int, Int32)
        switch address {
        case .inet(let name, let number): (host, port, family) = (name, number, AF_INET)
        case .inet6(let name, let number): (host, port, family) = (name, number, AF_INET6)
        case .systemdSocket(let name):
            throw RelayClientError(.connectFailed, "\"\(name)\" names a socket systemd passes to mprelayd; connect to its address instead")
        case .unixPath, .unixAbstract: preconditionFailure("handled above")
        }
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw RelayClientError(.connectFailed, "cannot resolve \(address)")
        }
        defer { freeaddrinfo(results) }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RelayClientError(.connectFailed, "socket: \(String(cString: strerror(errno)))") }
        guard Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let error = errno
            close(fd)
            throw RelayClientError(.connectFailed, "connect \(address): \(String(cString: strerror(error)))")
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    private func authenticate(authkey: [UInt8]) throws(RelayClientError) {
        var handshake = ClientHandshake(key: .init(data: authkey), nonce: HandshakeMessage.makeNonce())
        var established = false
        while !established {
            var action: HandshakeAction?
            try receiveFrames { body in
                guard action == nil else { return }
                action = handshake.receive(body)
            }
            switch action {
            case nil:
                continue
            case .send(let reply):
                queue(frame: reply)
            case .established(let reply, _):
                if let reply { queue(frame: reply) }
                established = true
            case .fail(let reply, let error):
                if let reply { queue(frame: reply) }
                try? flush()
                throw RelayClientError(.authenticationFailed, "handshake failed: \(error)")
            }
            try flush()
        }
        decoder = FrameDecoder(maxBodyLength: Int(Int32.max))
    }

    private func queue(frame body: [UInt8]) {
        Frame.appendHeader(bodyLength: body.count, to: &writeBuffer)
        writeBuffer.append(contentsOf: body)
    }

    private func register() throws(RelayClientError) {
        queue(.hello(version: Envelope.protocolVersion, name: name))
        try flush()
        switch try receive() {
        case .welcome(_, let maxMessageBytes):
            self.maxMessageBytes = Int(maxMessageBytes)
        case .error(let report):
            throw RelayClientError(.registrationRefused, "registration as \(name) refused: \(report.text)", report: report)
        case let other:
            throw RelayClientError(.registrationRefused, "expected WELCOME, got \(other.kind)")
        }
    }
}
