@testable import MPRelayProtocol
import Testing

/// docs/PROTOCOL.md §3.1: 1 to 255 bytes of UTF-8, no control characters, no white space, none of
/// `*`, `?`, `[`, `]`, compared byte for byte.
@Suite("PeerName")
struct PeerNameTests {
    @Test("valid names", arguments: [
        "a", "worker-1", "node_2.example.org:8080", "pool/worker@host", "a+b=c", "{braces}", "Ünïcödé", "名前",
        "🙂", "zero\u{200B}width",
        String(repeating: "x", count: 255),
        String(repeating: "€", count: 85),
    ])
    func valid(name: String) throws {
        let peer = try PeerName(name)
        #expect(peer.bytes == utf8(name))
        #expect(peer.description == name)
        #expect(try PeerName(validating: utf8(name)) == peer)
        #expect(try PeerName(validating: utf8(name)[...]) == peer)
    }

    @Test("the ASCII fast path refuses exactly the bytes Unicode's properties refuse")
    func asciiFastPathMatchesTheUnicodeCheck() {
        for byte in UInt8(0)..<0x80 {
            let fast = PeerName.firstForbiddenASCII([UInt8(ascii: "a"), byte]) == byte
            #expect(fast == PeerName.isForbidden(Unicode.Scalar(byte)), "byte 0x\(String(byte, radix: 16))")
        }
    }

    @Test("empty")
    func empty() {
        #expect(throws: PeerNameError.empty) { try PeerName(String()) }
        #expect(throws: PeerNameError.empty) { try PeerName(validating: [UInt8]()) }
    }

    @Test("longer than 255 bytes, counted in UTF-8 bytes, not characters", arguments: [
        String(repeating: "x", count: 256),
        String(repeating: "x", count: 254) + "é",
        String(repeating: "€", count: 86),
        String(repeating: "y", count: 10_000),
    ])
    func tooLong(name: String) {
        #expect(throws: PeerNameError.tooLong(name.utf8.count)) { try PeerName(name) }
    }

    @Test("not UTF-8", arguments: [
        [UInt8(0xFF)],
        [0x61, 0x80],
        [0x61, 0xC3],
        [0xC0, 0x80],
        [0xED, 0xA0, 0x80],
        [0xF4, 0x90, 0x80, 0x80],
        [0xE2, 0x82],
    ])
    func notUTF8(bytes: [UInt8]) {
        #expect(throws: PeerNameError.notUTF8) { try PeerName(validating: bytes) }
    }

    @Test("control characters (category Cc)", arguments: [
        "\u{0}", "\u{1}", "\u{7}", "\u{1B}", "\u{7F}", "\u{80}", "\u{9F}",
    ] as [Unicode.Scalar])
    func control(scalar: Unicode.Scalar) {
        let name = "a" + String(Character(scalar)) + "b"
        #expect(throws: PeerNameError.forbiddenCharacter(scalar)) { try PeerName(name) }
    }

    @Test("white space (White_Space)", arguments: [
        " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2003}", "\u{200A}",
        "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}",
    ] as [Unicode.Scalar])
    func whiteSpace(scalar: Unicode.Scalar) {
        #expect(throws: PeerNameError.forbiddenCharacter(scalar)) { try PeerName("x" + String(Character(scalar))) }
    }

    @Test("the access-rule pattern characters", arguments: ["*", "?", "[", "]"] as [Unicode.Scalar])
    func patternCharacters(scalar: Unicode.Scalar) {
        #expect(throws: PeerNameError.forbiddenCharacter(scalar)) { try PeerName("worker" + String(Character(scalar))) }
        #expect(throws: PeerNameError.forbiddenCharacter(scalar)) { try PeerName(String(Character(scalar))) }
    }

    @Test("the first forbidden character is the one reported")
    func firstForbidden() {
        #expect(throws: PeerNameError.forbiddenCharacter("?")) { try PeerName(String("ab?c d*")) }
    }

    @Test("length is checked before encoding, encoding before characters")
    func order() {
        #expect(throws: PeerNameError.tooLong(256)) { try PeerName(validating: [UInt8](repeating: 0xFF, count: 256)) }
        #expect(throws: PeerNameError.notUTF8) { try PeerName(validating: [0x20, 0xFF]) }
    }

    @Test("names compare byte for byte, not by Unicode equivalence")
    func byteComparison() throws {
        let composed = try PeerName(String("caf\u{E9}"))
        let decomposed = try PeerName(String("cafe\u{301}"))
        #expect("caf\u{E9}" == "cafe\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(try PeerName(String("Worker")) != PeerName(String("worker")))
    }

    /// `PeerName("x")` with a literal argument is the literal initializer, which traps on an invalid
    /// name instead of throwing: validate run-time text with `PeerName(someString)`.
    @Test("string literals")
    func literal() throws {
        let name: PeerName = "worker-1"
        let text = "worker-1"
        #expect(name == (try PeerName(text)))
        #expect(PeerName("worker-1").bytes == utf8(text))
    }

    @Test("errors read as sentences")
    func descriptions() {
        #expect(PeerNameError.empty.description == "a peer name cannot be empty")
        #expect(PeerNameError.tooLong(300).description.contains("255"))
        #expect(PeerNameError.forbiddenCharacter(" ").description.contains("U+20"))
    }
}
