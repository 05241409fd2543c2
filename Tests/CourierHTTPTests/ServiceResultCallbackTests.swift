@testable import CourierApp
import CourierCore
import CourierTesting
import Logging
import ServiceLifecycle
import Testing

/// The `services` callbacks of webhooks.md §7: one per finished message or media GC run, posted from the
/// outbox of the lowest-numbered shard once its `gc result` event is durable.
@Suite(.serialized) struct ServiceResultCallbackTests {
    @Test func gcRunsPostTheirResultsToTheWebhook() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-service-results")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let suite = WebhookEndToEndTests()
        let token = try await suite.login(node)
        let url = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(url)"}}"#, token: token).status == 200)
        #expect(try await node.call(.PUT, "/v1/services/message/gc", token: token).status == 200)
        #expect(try await node.call(.PUT, "/v1/services/media/gc", token: token).status == 200)
        func services() -> [JSONValue] {
            receiver.callbacks.withLock { $0 }.filter { $0.answered < 300 }.flatMap { $0.body["services"]?.arrayValue ?? [] }
        }
        try await suite.waitUntil("both service results") { services().count == 2 }
        let message = try #require(services().first { $0["message"] != nil }?["message"]?["gc"])
        #expect(message["status"] == "complete")
        #expect(message["run_id"]?.stringValue?.isEmpty == false)
        #expect(message["messages_deleted"] == 0)
        #expect(message["duration_ms"] != nil && message["events_compacted"] != nil && message["bytes_reclaimed"] != nil)
        let media = try #require(services().first { $0["media"] != nil }?["media"]?["gc"])
        #expect(media["status"] == "complete")
        #expect(media["items_deleted"] == 0)
        // Each came from a logged `gc result` on shard 0, covered by `webhook-delivered`.
        func kinds() -> [EventKind] { ((try? node.node.log.read(shard: 0, fromSeq: 1, limit: 100)) ?? []).compactMap(\.kind) }
        try await suite.waitUntil("both deliveries logged") { kinds().filter { $0 == .webhookDelivered }.count == 2 }
        let results = try node.node.log.read(shard: 0, fromSeq: 1, limit: 100).compactMap { record -> GCEvent? in
            if case .gc(let event)? = try Event.decode(record), event.phase == .result { return event }
            return nil
        }
        #expect(results.count == 2)
        try await node.stop()
    }
}
