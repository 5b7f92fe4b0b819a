/// Splits a byte stream into frames without copying whole frames that arrive in one read.
///
/// Bytes are fed as they come off the socket. Every complete frame in the input is handed to the
/// caller in place; only an incomplete tail is kept, and the storage for it is released as soon as
/// that frame completes, so an idle connection holds no buffer at all.
public struct FrameDecoder: Sendable {
    /// What the frame handler wants the decoder to do next.
    public enum Directive: Sendable {
        /// Go on with the next frame under the current limit.
        case proceed
        /// Go on, and apply a new body-length limit from the next frame on.
        case changeLimit(Int)
        /// Stop: the rest of the input is discarded and nothing more is buffered.
        case stop
        /// Hold back the rest of the input: it is kept, and the next ``feed(_:_:)`` (of any
        /// bytes, or of none) hands out its frames first. For a caller that cannot take more
        /// frames for now, such as a connection whose answers wait for its peer to read them.
        case pause
    }

    /// The largest body accepted; a longer announced length fails before any body byte is kept.
    public private(set) var maxBodyLength: Int

    /// Bytes kept from earlier input: an incomplete frame, or (while `holding`) everything a
    /// ``Directive/pause`` held back, of which the first `pendingStart` bytes are handed out.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var holding = false

    /// Creates a decoder that accepts bodies of at most `maxBodyLength` bytes.
    public init(maxBodyLength: Int) {
        precondition(maxBodyLength >= 0)
        self.maxBodyLength = maxBodyLength
    }

    /// The number of bytes kept from earlier input and not yet handed out: an incomplete frame,
    /// and whatever a ``Directive/pause`` held back.
    public var bufferedByteCount: Int { pending.count - pendingStart }

    /// Whether a ``Directive/pause`` held back at least one whole frame (or an invalid header),
    /// which the next ``feed(_:_:)`` hands out (or throws) even when it is given no bytes.
    public var holdsWholeFrame: Bool {
        guard holding else { return false }
        return pending.withUnsafeBytes { bytes in
            let held = UnsafeRawBufferPointer(rebasing: bytes[pendingStart...])
            do {
                guard let (header, body) = try Self.parseHeader(held, limit: maxBodyLength) else { return false }
                return held.count >= header + body
            } catch {
                return true
            }
        }
    }

    /// Feeds `input` and calls `handleFrame` with the body of every frame it completes, in order.
    ///
    /// - Throws: ``FrameError`` when a header is invalid or over the limit, or whatever the handler
    ///   throws. Either way the decoder must not be fed again.
    public mutating func feed(
        _ input: UnsafeRawBufferPointer,
        _ handleFrame: (UnsafeRawBufferPointer) throws -> Directive
    ) throws {
        var rest = input
        if holding {
            guard try handOutHeldFrames(handleFrame) else {
                pending.append(contentsOf: rest)
                return
            }
        }
        if !pending.isEmpty {
            guard let (header, body) = try completePending(from: &rest) else { return }
            let directive = try pending.withUnsafeBytes {
                try handleFrame(UnsafeRawBufferPointer(rebasing: $0[header..<(header + body)]))
            }
            pending.removeAll(keepingCapacity: false)
            guard apply(directive, holdingBack: rest) else { return }
        }
        while !rest.isEmpty {
            guard let (header, body) = try Self.parseHeader(rest, limit: maxBodyLength),
                rest.count >= header + body
            else {
                pending.append(contentsOf: rest)
                return
            }
            let directive = try handleFrame(UnsafeRawBufferPointer(rebasing: rest[header..<(header + body)]))
            rest = UnsafeRawBufferPointer(rebasing: rest[(header + body)...])
            guard apply(directive, holdingBack: rest) else { return }
        }
    }

    /// Hands out the whole frames a pause held back, in place. Returns false when the handler
    /// paused or stopped again; true when at most an incomplete frame is left, moved to the front.
    private mutating func handOutHeldFrames(_ handleFrame: (UnsafeRawBufferPointer) throws -> Directive) throws -> Bool {
        while true {
            let held = pending.count - pendingStart
            let parsed = try pending.withUnsafeBytes {
                try Self.parseHeader(UnsafeRawBufferPointer(rebasing: $0[pendingStart...]), limit: maxBodyLength)
            }
            guard let (header, body) = parsed, held >= header + body else { break }
            let start = pendingStart + header
            let directive = try pending.withUnsafeBytes {
                try handleFrame(UnsafeRawBufferPointer(rebasing: $0[start..<(start + body)]))
            }
            pendingStart = start + body
            switch directive {
            case .proceed:
                continue
            case .changeLimit(let limit):
                maxBodyLength = limit
            case .stop:
                pending = []
                pendingStart = 0
                holding = false
                return false
            case .pause:
                return false
            }
        }
        pending.removeFirst(pendingStart)
        pendingStart = 0
        holding = false
        return true
    }

    /// Moves bytes from `input` into `pending` until it holds a whole frame.
    /// Returns the frame's header and body lengths, or nil when `input` ran out first.
    private mutating func completePending(from input: inout UnsafeRawBufferPointer) throws -> (Int, Int)? {
        while true {
            let parsed = try pending.withUnsafeBytes { try Self.parseHeader($0, limit: maxBodyLength) }
            let wanted: Int
            if let (header, body) = parsed {
                if pending.count == header + body { return (header, body) }
                if pending.capacity < header + body { pending.reserveCapacity(header + body) }
                wanted = header + body - pending.count
            } else {
                wanted = Self.headerBytesWanted(pending)
            }
            guard !input.isEmpty else { return nil }
            let taken = min(wanted, input.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[..<taken]))
            input = UnsafeRawBufferPointer(rebasing: input[taken...])
        }
    }

    /// Applies a handler's directive; `rest` is the input after the frame it was given, kept
    /// for the next feed on a pause. Returns whether to go on.
    private mutating func apply(_ directive: Directive, holdingBack rest: UnsafeRawBufferPointer) -> Bool {
        switch directive {
        case .proceed:
            return true
        case .changeLimit(let limit):
            maxBodyLength = limit
            return true
        case .stop:
            pending = []
            return false
        case .pause:
            pending.append(contentsOf: rest)
            holding = !pending.isEmpty
            return false
        }
    }

    /// How many more bytes an incomplete header in `bytes` needs before it can be parsed.
    private static func headerBytesWanted(_ bytes: [UInt8]) -> Int {
        if bytes.count < 4 { return 4 - bytes.count }
        return 12 - bytes.count
    }

    /// Parses the header at the front of `bytes`: nil while it is incomplete, else the lengths of
    /// the header and of the body it announces.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer, limit: Int) throws(FrameError) -> (Int, Int)? {
        guard bytes.count >= 4 else { return nil }
        let short = bytes.readBigEndian(at: 0, as: Int32.self)
        if short >= 0 {
            guard Int(short) <= limit else { throw .tooLarge(announced: UInt64(short), limit: limit) }
            return (4, Int(short))
        }
        guard short == -1 else { throw .negativeLength(short) }
        guard bytes.count >= 12 else { return nil }
        let long = bytes.readBigEndian(at: 4, as: UInt64.self)
        guard long <= UInt64(limit) else { throw .tooLarge(announced: long, limit: limit) }
        return (12, Int(long))
    }
}
