import Dispatch
import Foundation
import Glibc
import MPRelayNATS
import NATSTestSupport
import Testing

extension NATSClusterTests {
    @Suite("NATSConnection: publish, subscribe, request")
    struct ConnectionTests {
        let cluster: NATSCluster
        let queue = DispatchQueue(label: "test.handlers")

        init() throws { cluster = try NATSCluster.shared() }

        @Test("messages with and without headers reach subscribers on another server, in order")
        func publishSubscribe() throws {
            let subscriber = try NATSConnection.make(cluster.options(first: 1))
            let publisher = try NATSConnection.make(cluster.options(first: 2))
            defer { subscriber.close(); publisher.close() }
            let received = Collector<NATSMessage>()
            let probes = Collector<NATSMessage>()
            _ = try subscriber.subscribe(to: "orders.*", on: queue) { ($0.subject == "orders.probe" ? probes : received).append($0) }
            #expect(try awaitInterest(from: publisher, subject: "orders.probe", seen: probes))
            let headers = NATSHeaders(["Trace": "abc"])
            for index in 0..<100 {
                try publisher.publish("orders.\(index % 3)", headers: index % 2 == 0 ? headers : nil, payload: Array("order \(index)".utf8))
            }
            let messages = received.wait(count: 100)
            #expect(messages.count == 100)
            #expect(messages.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<100).map { "order \($0)" })
            #expect(messages[0].headers?["trace"] == "abc" && messages[1].headers == nil)
            #expect(messages[5].subject == "orders.2")
        }

        @Test("a queue group shares the messages; unsubscribe stops deliveries")
        func queueGroup() throws {
            let connection = try NATSConnection.make(cluster.options())
            defer { connection.close() }
            let first = Collector<NATSMessage>()
            let second = Collector<NATSMessage>()
            let one = try connection.subscribe(to: "jobs", queueGroup: "workers", on: queue) { first.append($0) }
            _ = try connection.subscribe(to: "jobs", queueGroup: "workers", on: queue) { second.append($0) }
            for _ in 0..<50 { try connection.publish("jobs", payload: [1]) }
            try connection.flush()
            first.wait { $0.count + second.all.count >= 50 }
            #expect(first.all.count + second.all.count == 50)
            one.unsubscribe()
            let before = first.all.count
            for _ in 0..<10 { try connection.publish("jobs", payload: [2]) }
            second.wait { $0.filter { $0.payload == [2] }.count >= 10 }
            #expect(first.all.count == before)
        }

        @Test("request and reply; no responders at once; a timeout when nobody answers")
        func requestReply() throws {
            let responder = try NATSConnection.make(cluster.options(first: 1))
            let requester = try NATSConnection.make(cluster.options(first: 2))
            defer { responder.close(); requester.close() }
            _ = try responder.subscribe(to: "echo", on: queue) { message in
                try? responder.publish(message.replyTo!, headers: message.headers, payload: message.payload.reversed())
            }
            let probes = Collector<NATSMessage>()
            _ = try responder.subscribe(to: "silent", on: queue) { probes.append($0) }
            #expect(try awaitInterest(from: requester, subject: "silent", seen: probes))
            let answer = try requester.request("echo", headers: NATSHeaders(["Id": "7"]), payload: [1, 2, 3], timeout: .seconds(2))
            #expect(answer.payload == [3, 2, 1] && answer.headers?["Id"] == "7")
            let started = Date()
            #expect(throws: NATSError.noResponders(subject: "nobody.home")) {
                try requester.request("nobody.home", payload: [], timeout: .seconds(5))
            }
            #expect(Date().timeIntervalSince(started) < 1)
            #expect(throws: NATSError.timeout(operation: "request to silent")) {
                try requester.request("silent", payload: [], timeout: .milliseconds(200))
            }
        }

        @Test("wrong credentials, invalid subjects, an unreachable list")
        func refusals() throws {
            var options = cluster.options()
            options.credentials = .userPassword(user: NATSCluster.user, password: "wrong")
            options.servers = [options.servers[0]]
            #expect {
                try NATSConnection(options: options)
            } throws: { error in
                // Credentials the server does not accept: a refusal, not worth trying again.
                "\(error)".contains("Authorization Violation") && (error as? NATSError)?.isPermanent == true
            }
            let connection = try NATSConnection.make(cluster.options())
            defer { connection.close() }
            #expect(throws: NATSError.protocolViolation(.invalidSubject("a b"))) { try connection.publish("a b", payload: []) }
            #expect(throws: NATSError.protocolViolation(.invalidSubject("a.>"))) { try connection.publish("a.>", payload: []) }
            let nowhere = try NATSConnectionOptions(urls: ["nats://127.0.0.1:\(NATSServerProcess.freePort())"])
            #expect {
                try NATSConnection(options: nowhere)
            } throws: { error in
                // A server that is down may come back: not permanent.
                guard let error = error as? NATSError, case .noServerAvailable(let failures) = error, !error.isPermanent else { return false }
                return failures.count == 1 && failures[0].description.contains("connect to nats://127.0.0.1:")
            }
        }

        @Test("reconnect to the next server when the one in use is killed: re-subscribed, publishing again")
        func reconnect() throws {
            let events = Collector<NATSConnectionEvent>()
            let mover = try NATSConnection.make(cluster.options(first: 0), events: events)
            let peer = try NATSConnection.make(cluster.options(first: 2))
            defer { mover.close(); peer.close() }
            let atMover = Collector<NATSMessage>()
            let atPeer = Collector<NATSMessage>()
            _ = try mover.subscribe(to: "moving", on: queue) { atMover.append($0) }
            _ = try peer.subscribe(to: "staying", on: queue) { atPeer.append($0) }
            try mover.flush()
            try peer.flush()
            let killed = cluster.servers[0]
            killed.stop(signal: SIGKILL)
            defer {
                try? killed.start()
                try? cluster.waitForJetStream()
            }
            let reconnected = events.wait { $0.contains { if case .reconnected = $0 { return true } else { return false } } }
            #expect(reconnected.contains { if case .disconnected(let server, _) = $0 { return server.port == killed.port } else { return false } })
            #expect(mover.server.port == cluster.servers[1].port)
            // The subscription on the new server is in place once the peer's server knows it.
            #expect(try awaitInterest(from: peer, subject: "moving", seen: atMover))
            try mover.publish("staying", payload: Array("after".utf8))
            #expect(atPeer.wait(count: 1).first?.payload == Array("after".utf8))
        }
    }
}
