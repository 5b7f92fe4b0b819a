/// The bearer token of `[http] token_file`, and the check of an `Authorization` header against it.
///
/// The comparison takes the same time wherever the first differing byte is, so a client cannot
/// find the token a byte at a time by timing refusals.
struct BearerToken: Sendable, Equatable {
    private let bytes: [UInt8]

    /// Wraps the token bytes the configuration loaded.
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether `header` is `Bearer <token>` (the scheme in any case) with this token.
    func accepts(_ header: String?) -> Bool {
        guard let header else { return false }
        let utf8 = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard utf8.count > scheme.count, zip(utf8, scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return false }
        return Self.constantTimeEqual(utf8[scheme.count...], bytes[...])
    }

    /// Compares every byte of the longer input, whatever the lengths and contents.
    static func constantTimeEqual(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        var difference: UInt8 = lhs.count == rhs.count ? 0 : 1
        let length = max(lhs.count, rhs.count)
        for offset in 0..<length {
            let left = offset < lhs.count ? lhs[lhs.startIndex + offset] : 0
            let right = offset < rhs.count ? rhs[rhs.startIndex + offset] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
