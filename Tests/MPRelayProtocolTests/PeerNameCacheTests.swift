import MPRelayProtocol
import Testing

@Suite("Peer name cache")
struct PeerNameCacheTests {
    private func lookup(_ cache: inout PeerNameCache<Int>, _ name: String) -> Int? {
        Array(name.utf8).withUnsafeBytes { cache.value(for: $0) }
    }

    private func insert(_ cache: inout PeerNameCache<Int>, _ name: String, _ value: Int) {
        Array(name.utf8).withUnsafeBytes { cache.insert(value, for: $0) }
    }

    @Test func findsEveryNameItWasGivenByItsBytes() {
        var cache = PeerNameCache<Int>(capacity: 16)
        for index in 0..<10 { insert(&cache, "worker-\(index)", index) }
        // Alternating between names: each lookup moves the last-found name.
        for round in 0..<3 {
            for index in [3, 7, 3, 0, 9, 9] { #expect(lookup(&cache, "worker-\(index)") == index, "round \(round)") }
        }
        #expect(cache.count == 10)
    }

    @Test func tellsNamesApartThatShareAPrefixOrALength() {
        var cache = PeerNameCache<Int>(capacity: 16)
        insert(&cache, "ab", 1)
        insert(&cache, "abc", 2)
        insert(&cache, "abd", 3)
        #expect(lookup(&cache, "a") == nil)
        #expect(lookup(&cache, "ab") == 1)
        #expect(lookup(&cache, "abc") == 2)
        #expect(lookup(&cache, "abd") == 3)
        #expect(lookup(&cache, "abe") == nil)
        #expect(lookup(&cache, "abcd") == nil)
    }

    @Test func tellsApartNamesOfOneLengthThatDifferInAnyByte() {
        // Names are compared eight bytes at a time, then byte by byte: a difference in the first
        // word, in a later word, and in the tail, at lengths around the word size, up to 255.
        for length in [1, 7, 8, 9, 15, 16, 17, 255] {
            let name = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            for position in Set([0, length / 2, length - 1]) {
                var cache = PeerNameCache<Int>(capacity: 4)
                name.withUnsafeBytes { cache.insert(1, for: $0) }
                var other = name
                other[position] = UInt8(ascii: "Z")
                #expect(other.withUnsafeBytes { cache.value(for: $0) } == nil, "length \(length), byte \(position)")
                #expect(name.withUnsafeBytes { cache.value(for: $0) } == 1, "length \(length)")
            }
        }
    }

    @Test func aSecondInsertReplacesTheValue() {
        var cache = PeerNameCache<Int>(capacity: 4)
        insert(&cache, "alice", 1)
        insert(&cache, "bob", 2)
        insert(&cache, "alice", 3)
        #expect(lookup(&cache, "bob") == 2)
        #expect(lookup(&cache, "alice") == 3)
        #expect(cache.count == 2)
    }

    @Test func startsOverAtItsCapacity() {
        var cache = PeerNameCache<Int>(capacity: 3)
        for index in 0..<3 { insert(&cache, "peer-\(index)", index) }
        #expect(cache.count == 3)
        insert(&cache, "peer-3", 3)
        #expect(cache.count == 1)
        #expect(lookup(&cache, "peer-0") == nil)
        #expect(lookup(&cache, "peer-3") == 3)
    }

    @Test func removeAllForgetsTheLastNameToo() {
        var cache = PeerNameCache<Int>(capacity: 4)
        insert(&cache, "alice", 1)
        #expect(lookup(&cache, "alice") == 1)
        cache.removeAll()
        #expect(lookup(&cache, "alice") == nil)
        #expect(cache.count == 0)
    }
}
