import Dispatch
import Foundation
import Glibc
import MPRelayNATS
import NATSTestSupport
import Testing

extension NATSClusterTests {
    @Suite("NATSKeyValue: a replicated bucket")
    struct KeyValueTests {
        let cluster: NATSCluster
        let connection: NATSConnection
        let store: NATSKeyValue

        init() throws {
            cluster = try NATSCluster.shared()
            connection = try NATSConnection.make(cluster.options())
            store = try NATSKeyValue.create(bucket: "names\(UInt32.random(in: 0...UInt32.max))", replicas: 3, on: connection)
        }

        @Test("create, update and delete are revision-checked; get sees the latest value")
        func revisions() throws {
            defer { connection.close() }
            let first = try store.create("alice", value: Array("node-a".utf8))
            #expect(try store.get("alice") == NATSKeyValueEntry(bucket: store.bucket, key: "alice", value: Array("node-a".utf8), revision: first, operation: .put))
            #expect(throws: NATSError.keyExists(bucket: store.bucket, key: "alice")) { try store.create("alice", value: [1]) }
            let second = try store.update("alice", value: Array("node-b".utf8), revision: first)
            #expect(second > first)
            #expect(throws: NATSError.wrongRevision(bucket: store.bucket, key: "alice", expected: first)) {
                try store.update("alice", value: [2], revision: first)
            }
            #expect(throws: NATSError.wrongRevision(bucket: store.bucket, key: "alice", expected: first)) {
                try store.delete("alice", revision: first)
            }
            #expect(try store.get("alice")?.value == Array("node-b".utf8))
            let marker = try store.delete("alice", revision: second)
            #expect(marker > second)
            #expect(try store.get("alice") == nil)
            #expect(try store.get("never") == nil)
            // Over a delete marker, and over a purge marker, the key is free again.
            let again = try store.create("alice", value: [3])
            #expect(again > marker)
            #expect(try store.get("alice")?.value == [3])
            try store.purge("alice")
            #expect(try store.create("alice", value: [4]) > again)
        }

        @Test("keys lists the keys with a value; bad keys and buckets are refused")
        func keys() throws {
            defer { connection.close() }
            #expect(try store.keys() == [])
            for key in ["b", "a", "c.d", "gone"] { _ = try store.put(key, value: [1]) }
            try store.delete("gone")
            #expect(try store.keys() == ["a", "b", "c.d"])
            for key in ["", "a b", ".a", "a.", "a..b", "a*", "a>"] {
                #expect(throws: NATSError.invalidKey(key)) { try store.put(key, value: []) }
            }
            #expect(throws: NATSError.invalidKey("a.b")) { try NATSKeyValue.create(bucket: "a.b", on: connection) }
            // The same configuration binds; another one is a JetStream error naming the stream.
            #expect(throws: Never.self) { try NATSKeyValue.create(bucket: store.bucket, replicas: 3, on: connection) }
            #expect {
                try NATSKeyValue.create(bucket: store.bucket, replicas: 1, on: connection)
            } throws: { error in
                guard case NATSError.jetStream(let subject, _, _, _) = error else { return false }
                return subject.hasSuffix("KV_\(store.bucket)")
            }
        }

        @Test("two clients on two servers create one key at once: exactly one wins, 200 times")
        func createRace() throws {
            let other = try NATSConnection.make(cluster.options(first: 1))
            defer { connection.close(); other.close() }
            let stores = [store, NATSKeyValue(bucket: store.bucket, connection: other)]
            let outcomes = Collector<[String]>()
            for round in 0..<200 {
                let results = Collector<String>()
                DispatchQueue.concurrentPerform(iterations: 2) { side in
                    do {
                        _ = try stores[side].create("race-\(round)", value: [UInt8(side)])
                        results.append("won")
                    } catch {
                        results.append("\(error)")
                    }
                }
                outcomes.append(results.all.sorted())
            }
            let lost = "key 'race-%d' already exists in bucket \(store.bucket)"
            for (round, outcome) in outcomes.all.enumerated() {
                #expect(outcome == [String(format: lost, round), "won"], "round \(round)")
            }
        }

        @Test("watch: the latest value of each key, the end of the initial values, then changes in order")
        func watch() throws {
            defer { connection.close() }
            let a1 = try store.put("a", value: [1])
            let b1 = try store.put("b", value: [2])
            let a2 = try store.put("a", value: [3])
            let events = Collector<NATSKeyValueEvent>()
            let watcher = try store.watch(on: DispatchQueue(label: "test.watch")) { events.append($0) }
            defer { watcher.stop() }
            events.wait(count: 3)
            let c1 = try store.create("c", value: [4])
            let aDeleted = try store.delete("a", revision: a2)
            try store.purge("b")
            let seen = events.wait(count: 6)
            let bucket = store.bucket
            #expect(a1 < b1)
            #expect(Array(seen.prefix(3)) == [
                .entry(NATSKeyValueEntry(bucket: bucket, key: "b", value: [2], revision: b1, operation: .put)),
                .entry(NATSKeyValueEntry(bucket: bucket, key: "a", value: [3], revision: a2, operation: .put)),
                .initialValuesDone,
            ])
            #expect(Array(seen.dropFirst(3).prefix(2)) == [
                .entry(NATSKeyValueEntry(bucket: bucket, key: "c", value: [4], revision: c1, operation: .put)),
                .entry(NATSKeyValueEntry(bucket: bucket, key: "a", value: [], revision: aDeleted, operation: .delete)),
            ])
            guard case .entry(let purged) = seen.last else {
                Issue.record("no purge event")
                return
            }
            #expect(purged.key == "b" && purged.operation == .purge && purged.revision > aDeleted)
        }

        @Test("watch of an empty bucket says at once that the initial values are done")
        func watchEmpty() throws {
            defer { connection.close() }
            let events = Collector<NATSKeyValueEvent>()
            let watcher = try store.watch(on: DispatchQueue(label: "test.watch")) { events.append($0) }
            defer { watcher.stop() }
            #expect(events.wait(count: 1) == [.initialValuesDone])
            let revision = try store.put("x", value: [9])
            #expect(events.wait(count: 2).last == .entry(NATSKeyValueEntry(bucket: store.bucket, key: "x", value: [9], revision: revision, operation: .put)))
        }

        /// A put made while the stream's leader is being elected can go unanswered (the request
        /// reaches no leader): it is made again, up to three times, as a client would. If a
        /// lost answer's put was stored, the key just gets one revision more; the last counts.
        static func putOutlastingAnElection(_ store: NATSKeyValue, _ key: String, value: [UInt8]) throws(NATSError) -> UInt64 {
            var attempt = 1
            while true {
                do {
                    return try store.put(key, value: value)
                } catch {
                    switch error {
                    case .timeout, .noResponders: guard attempt < 3 else { throw error }
                    default: throw error
                    }
                    attempt += 1
                }
            }
        }

        @Test("a watcher whose server is killed goes on: later revisions in order, none twice, the last of each key")
        func watchAcrossReconnect() throws {
            let writer = try NATSConnection.make(cluster.options(first: 2))
            defer { connection.close(); writer.close() }
            // Writes wait out the election of a new stream leader when the old one was killed.
            let writes = NATSKeyValue(bucket: store.bucket, connection: writer, timeout: .seconds(15))
            let events = Collector<NATSKeyValueEvent>()
            let watcher = try store.watch(on: DispatchQueue(label: "test.watch")) { events.append($0) }
            defer { watcher.stop() }
            var last = ["k": try writes.put("k", value: [0])]
            events.wait(count: 2)
            let killed = cluster.servers[0]
            killed.stop(signal: SIGKILL)
            defer {
                try? killed.start()
                try? cluster.waitForJetStream()
            }
            for index in 1...20 {
                last["k\(index % 4)"] = try Self.putOutlastingAnElection(writes, "k\(index % 4)", value: [UInt8(index)])
                usleep(100_000)
            }
            // A bucket keeps one revision per key: a watcher that lost deliveries gets the latest.
            let entries = { (events: [NATSKeyValueEvent]) in
                events.compactMap { event -> NATSKeyValueEntry? in
                    if case .entry(let entry) = event { return entry }
                    return nil
                }
            }
            // The bound covers a stream leader's election and the watcher's new consumer, each of
            // which takes seconds longer when other work loads the machine; it is a liveness bound,
            // not a speed test, and a run that passes returns as soon as the last revisions arrive.
            let seen = events.wait(timeout: 45) { events in
                last.allSatisfy { key, revision in entries(events).contains { $0.key == key && $0.revision == revision } }
            }
            let revisions = entries(seen).map(\.revision)
            #expect(revisions == revisions.sorted() && Set(revisions).count == revisions.count, "\(revisions)")
            for (key, revision) in last {
                #expect(entries(seen).last { $0.key == key }?.revision == revision, "\(key)")
            }
            #expect(seen.filter { $0 == .initialValuesDone }.count == 1)
        }
    }
}
