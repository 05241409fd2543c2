import CourierCore
import CourierStore
import CourierTesting
import Logging
import ServiceLifecycle
import Testing

/// `replication_ack=replicated` with the real PostgreSQL of `make test`: callbacks go out for events that
/// PostgreSQL committed, and the inbound and callback kinds replicate like every other event.
@Suite(.serialized) struct WebhookReplicatedTests {
    @Test func callbacksFollowReplicatedEventsAndTheirKindsReplicate() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let receiver = WebhookReceiver()
        let receiverGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [receiver.application()], logger: Logger(label: "test.receiver")))
        let receiverTask = Task { try await receiverGroup.run() }
        defer { receiverTask.cancel() }
        let tests = WebhookEndToEndTests()
        try await tests.waitUntil("the receiver to listen") { receiver.port.withLock { $0 } != 0 }
        let directory = try TemporaryDirectory("courier-webhooks")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory, database: database.configuration)
        let token = try await tests.login(node)
        let hook = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(hook)"}}"#, token: token).status == 200)
        let sent = try await node.call(.POST, "/v1/messages", #"{"to":"447700900123","text":{"body":"hi"}}"#, token: token)
        let id = try #require(sent.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        let injected = try await node.call(.POST, "/gateway/inbound", #"{"from":"16315551000","text":{"body":"yo"}}"#)
        let inboundID = try #require(injected.json["id"]?.stringValue)
        try await tests.waitUntil("the statuses and the inbound message") {
            receiver.statuses()[id]?.count == 3 && receiver.inboundMessages().count == 1
        }
        #expect(receiver.statuses()[id] == ["sent", "delivered", "read"])
        #expect(try await node.call(.PUT, "/v1/messages/\(inboundID)", #"{"status":"read"}"#, token: token).status == 200)
        try await WebhookSettingsEndToEndTests().waitUntil("an empty outbox") { await node.node.shards.actors[0].pendingOutbox().isEmpty }
        let connection = try PGConnection(url: database.url)
        var kinds: Set<String> = []
        for _ in 0..<500 {
            kinds = Set(try connection.execute("SELECT DISTINCT kind FROM events WHERE shard = 0").rows.compactMap { $0[0] })
            if kinds.isSuperset(of: ["2", "4", "5"]) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(kinds.isSuperset(of: ["1", "2", "3", "4", "5"]), "\(kinds.sorted())")
        try await node.stop()
        await receiverGroup.triggerGracefulShutdown()
    }
}
