import MPRelayCommon
import Testing

@Suite("Endpoint addresses")
struct EndpointAddressTests {
    @Test(arguments: [
        ("127.0.0.1:6000", EndpointAddress.inet(host: "127.0.0.1", port: 6000)),
        ("localhost:0", .inet(host: "localhost", port: 0)),
        ("[::1]:6000", .inet6(host: "::1", port: 6000)),
        ("/run/mprelay/mprelay.sock", .unixPath("/run/mprelay/mprelay.sock")),
        ("./relay.sock", .unixPath("./relay.sock")),
        ("@mprelay", .unixAbstract("mprelay")),
        ("\0mprelay", .unixAbstract("mprelay")),
    ])
    func parsesPythonSpellings(text: String, expected: EndpointAddress) throws {
        #expect(try EndpointAddress(parsing: text) == expected)
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["127.0.0.1:6000", "[::1]:6000", "/a/b.sock", "@x"] {
            #expect(try EndpointAddress(parsing: text).description == text)
        }
    }

    @Test(arguments: [
        ("\\\\.\\pipe\\mprelay", "Windows only"),
        ("mprelay", "not an address"),
        ("127.0.0.1:http", "must be a number"),
        ("127.0.0.1:65536", "0 to 65535"),
        ("::1:6000", "without brackets"),
        (":6000", "empty"),
        ("[]:6000", "empty IPv6"),
        ("@", "needs a name"),
        ("", "empty"),
        ("/run/x\u{0}y.sock", "NUL"),
        ("127.0.0.1\u{0}:6000", "NUL"),
    ])
    func rejectsWithAReason(text: String, fragment: String) {
        #expect {
            try EndpointAddress(parsing: text)
        } throws: { error in
            (error as? AddressError)?.description.contains(fragment) == true
        }
    }

    @Test func rejectsPathsLongerThanSunPath() {
        let long = "/" + String(repeating: "a", count: 107)
        #expect(throws: AddressError.self) { try EndpointAddress(parsing: long) }
        #expect(throws: Never.self) { try EndpointAddress(parsing: String(long.dropLast())) }
    }
}
