@testable import CourierApp
import CourierCore
import CourierTesting
import Logging
import ServiceLifecycle
import Testing

/// Settings that change what the outbox does: `callback_persist: false` across a restart, and the
/// `webhooks.message.*` toggles; both leave their trace in the log, which `courier log dump` renders.
@Suite(.serialized) struct WebhookSettingsEndToEndTests {
    func waitUntil(_ what: String, _ condition: () async -> Bool) async throws {
        for _ in 0..<1000 where !(await condition()) { try await Task.sleep(for: .milliseconds(10)) }
        if !(await condition()) { Issue.record("timed out waiting for \(what)") }
    }

    func records(_ node: RunningNode) throws -> [Record] { try node.node.log.read(shard: 0, fromSeq: 1, limit: 1000) }

    @Test func withoutPersistenceARestartDropsWhatWasPendingWithOneEvent() async throws {
        let directory = try TemporaryDirectory("courier-webhooks")
        defer { directory.remove() }
        var node = try await RunningNode.start(directory)
        let token = try await WebhookEndToEndTests().login(node)
        // No URL: entries wait in the outbox.
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"callback_persist":false}"#, token: token).status == 200)
        let sent = try await node.call(.POST, "/v1/messages", #"{"to":"447700900123","text":{"body":"hi"}}"#, token: token)
        let id = try #require(sent.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        let injected = try await node.call(.POST, "/gateway/inbound", #"{"from":"16315551000","text":{"body":"yo"}}"#)
        #expect(injected.status == 200)
        try await waitUntil("three statuses and the inbound message pending") {
            await node.node.shards.actors[0].pendingOutbox().count == 4
        }
        let pending = await node.node.shards.actors[0].pendingOutbox().map(\.seq)
        #expect(await node.node.shards.actors[0].oldestPendingOutbox() != nil)
        let receiptRecord = try #require(try records(node).first { $0.kind == .receipt })
        let receiptLine = LogInspector.format(receiptRecord, json: true, fullPayload: false)
        #expect(receiptLine.contains(#""from":"16315551000""#) && receiptLine.contains(#""text":{"body":"yo"}"#), "\(receiptLine)")
        try await waitUntil("the dispatcher to hold them") { node.node.webhooks?.stats().queueSize == 4 }
        try await node.stop()

        node = try await RunningNode.start(directory)
        #expect(await node.node.shards.actors[0].pendingOutbox().isEmpty)
        #expect(await node.node.shards.actors[0].oldestPendingOutbox() == nil)
        #expect(await node.node.shards.actors[0].snapshot.messages[id]?.status == .read)
        let dropped = try records(node).compactMap { record -> (Record, WebhookDroppedEvent)? in
            guard case .webhookDropped(let event)? = try Event.decode(record) else { return nil }
            return (record, event)
        }
        #expect(dropped.count == 1)
        #expect(dropped.first?.1.positions.seqs == pending)
        let line = try #require(dropped.first.map { LogInspector.format($0.0, json: true, fullPayload: false) })
        #expect(line.contains(#""kind":"webhook-dropped""#) && line.contains(#""count":4"#), "\(line)")
        try await node.stop()
    }

    @Test func toggledOffStatusesAreCoveredWithoutARequest() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-webhooks")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let token = try await WebhookEndToEndTests().login(node)
        let hook = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        let patch = try await node.call(
            .PATCH, "/v1/settings/application",
            #"{"webhooks":{"url":"\#(hook)","message":{"sent":false,"delivered":false}},"webhook_payload_conversation_pricingmodel_disabled":true}"#,
            token: token)
        #expect(patch.status == 200, "\(patch.json)")
        let sent = try await node.call(.POST, "/v1/messages", #"{"to":"447700900123","text":{"body":"hi"}}"#, token: token)
        let id = try #require(sent.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        try await waitUntil("the read status") { receiver.statuses()[id] != nil }
        try await waitUntil("an empty outbox") { await node.node.shards.actors[0].pendingOutbox().isEmpty }
        #expect(receiver.statuses()[id] == ["read"])
        let status = receiver.callbacks.withLock { $0.last?.body["statuses"]?.arrayValue?.first }
        #expect(status?["conversation"] == nil && status?["pricing"] == nil)
        let deliveries = try records(node).compactMap { record -> WebhookDeliveredEvent? in
            guard case .webhookDelivered(let event)? = try Event.decode(record) else { return nil }
            return event
        }
        #expect(deliveries.filter { $0.attempts == 0 && $0.httpStatus == 0 }.map(\.positions.count).reduce(0, +) == 2)
        #expect(deliveries.contains { $0.attempts == 1 && $0.httpStatus == 204 })
        try await node.stop()
        receiverTask.cancel()
    }

    /// With no URL, released entries wait in the shards' outboxes only (the dispatcher counts them);
    /// once a URL is set they are read back from there and every one goes out, in order per recipient.
    @Test func entriesWaitingForAURLGoOutOnceItIsSet() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-webhooks")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let token = try await WebhookEndToEndTests().login(node)
        var ids: [String] = []
        for index in 0..<5 {
            let sent = try await node.call(.POST, "/v1/messages", #"{"to":"44770090012\#(index)","text":{"body":"hi"}}"#, token: token)
            ids.append(try #require(sent.json["messages"]?.arrayValue?.first?["id"]?.stringValue))
        }
        try await waitUntil("fifteen statuses pending") { await node.node.shards.actors[0].pendingOutbox().count == 15 }
        try await waitUntil("the dispatcher to count them") { node.node.webhooks?.stats().queueSize == 15 }
        #expect(receiver.statuses().isEmpty)
        let hook = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(hook)"}}"#, token: token).status == 200)
        try await waitUntil("every status posted") { ids.allSatisfy { receiver.statuses()[$0]?.count == 3 } }
        for id in ids { #expect(receiver.statuses()[id] == ["sent", "delivered", "read"], "\(id)") }
        try await waitUntil("an empty outbox") { await node.node.shards.actors[0].pendingOutbox().isEmpty }
        #expect(node.node.webhooks?.stats().queueSize == 0)
        // A send after the URL is set goes out directly.
        let later = try await node.call(.POST, "/v1/messages", #"{"to":"447700900199","text":{"body":"hi"}}"#, token: token)
        let laterID = try #require(later.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        try await waitUntil("the later send's statuses") { receiver.statuses()[laterID]?.count == 3 }
        try await node.stop()
        receiverTask.cancel()
    }
}
