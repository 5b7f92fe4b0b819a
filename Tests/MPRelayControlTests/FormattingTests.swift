import MPRelayControl
import Testing

/// How mprelayctl prints numbers and tables.
@Suite("Formatting")
struct FormattingTests {
    @Test(arguments: [
        (0, "0 B"), (1_023, "1023 B"), (1_024, "1.0 KiB"), (1_536, "1.5 KiB"), (1_048_575, "1.0 MiB"),
        (64 * 1_048_576, "64.0 MiB"), (1_610_612_736, "1.5 GiB"), (5 * (1 << 40), "5.0 TiB"), (-2_048, "-2.0 KiB"),
    ])
    func sizes(_ bytes: Int, _ expected: String) {
        #expect(HumanReadable.bytes(bytes) == expected)
    }

    @Test(arguments: [
        (0.0, "0s"), (0.4, "0.4s"), (9.96, "10.0s"), (12.0, "12s"), (12.7, "12s"), (65.0, "1m 05s"), (3_725.5, "1h 02m"),
        (90_000.0, "1d 01h"), (-1.0, "-"), (Double.nan, "-"),
    ])
    func durations(_ seconds: Double, _ expected: String) {
        #expect(HumanReadable.duration(seconds) == expected)
    }

    @Test func countsAndTimes() {
        #expect(HumanReadable.count(0) == "0")
        #expect(HumanReadable.count(999) == "999")
        #expect(HumanReadable.count(1_000) == "1,000")
        #expect(HumanReadable.count(-1_234_567) == "-1,234,567")
        #expect(HumanReadable.utcTime(0) == "1970-01-01 00:00:00 UTC")
        #expect(HumanReadable.utcTime(1_700_000_000.9) == "2023-11-14 22:13:20 UTC")
    }

    @Test func tablesAlignColumnsWithoutTrailingSpaces() {
        var table = TextTable([.init("NAME"), .init("COUNT", .right), .init("NOTE")])
        table.append(["a", "1", ""])
        table.append(["longer-name", "12,345", "x"])
        let expected = [
            "NAME" + String(repeating: " ", count: 10) + "COUNT  NOTE",
            "a" + String(repeating: " ", count: 17) + "1",
            "longer-name  12,345  x",
        ]
        #expect(table.render() == expected.joined(separator: "\n") + "\n")
    }

    @Test func keyValueBlocksAlignValues() {
        #expect(TextTable.keyValue([("a", "1"), ("longer key", "two"), ("empty", "")]) == "a           1\nlonger key  two\nempty\n")
    }

    @Test func statusText() {
        let text = ControlFixtures.status.humanText
        #expect(text.hasPrefix("mprelayd 0.1.0  pid 4242  up 1h 02m\n"))
        #expect(text.contains("\nmessages relayed        1,234,567 (1.5 GiB)\n"))
        #expect(text.contains("\nhandshakes in progress  1\n"))
        #expect(text.contains("\nerrors sent             kicked (11): 1, unknown peer (1): 3\n"))
        #expect(text.hasSuffix("""
            ENDPOINT                   BOUND            FAMILY  STATE      PEERS
            127.0.0.1:0                127.0.0.1:40211  tcp     listening      2
            /run/mprelay/mprelay.sock  -                unix    stopped        0

            """))
    }

    @Test func peerListText() {
        #expect(PeerList(peers: []).humanText == "no peers registered\n")
        let lines = PeerList(peers: [ControlFixtures.peer("a"), ControlFixtures.peer("worker-long", connection: 12, queuedBytes: 70_000)]).humanText
            .split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "NAME         CONN  ENDPOINT         REMOTE           DIGEST  TLS  CONNECTED  MSGS IN  BYTES IN  MSGS OUT  BYTES OUT  QUEUED  QUEUED BYTES")
        #expect(lines[1] == "a               7  127.0.0.1:40211  127.0.0.1:51234  sha256  -       3m 12s       20   1.3 KiB     1,500    2.0 MiB       0           0 B")
        #expect(lines[2].hasSuffix("68.4 KiB"))
    }

    @Test func peerText() {
        let text = ControlFixtures.peer("a").humanText
        #expect(text.contains("connection       Connection-7\n"))
        #expect(text.contains("connected since  1970-01-01 00:00:00 UTC (3m 12s ago)\n"))
        #expect(text.contains("messages out     1,500 (2.0 MiB)\n"))
        #expect(text.contains("tls              none\n"))
        var secured = ControlFixtures.peer("b")
        secured.tls = TLSReport(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", clientSubject: "CN=worker-1")
        let securedText = secured.humanText
        #expect(securedText.contains("tls              TLSv1.3, TLS_AES_256_GCM_SHA384\n"))
        #expect(securedText.contains("client cert      CN=worker-1\n"))
    }
}
