@testable import CourierApp
import CourierCore
import CourierTesting
import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Inbound media (webhooks.md §2): the bytes go to the media volume before the message is logged; the
/// callback carries `id`, `mime_type`, `sha256`, and `file` for the kinds in `media.auto_download`; the
/// id downloads with `GET /v1/media/{id}`.
@Suite(.serialized) struct InboundMediaTests {
    @Test func inboundMediaIsStoredAndNamedInTheCallback() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-inbound-media")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let suite = WebhookEndToEndTests()
        let token = try await suite.login(node)
        let url = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(url)"}}"#, token: token).status == 200)
        let bytes = Data("abc".utf8).base64EncodedString()
        let injected = try await node.call(
            .POST, "/gateway/inbound", #"{"from":"16315551000","type":"image","image":{"data":"\#(bytes)","mime_type":"image/png","caption":"hi"}}"#)
        #expect(injected.status == 200)
        try await suite.waitUntil("the inbound image callback") { receiver.inboundMessages().count == 1 }
        let image = try #require(receiver.inboundMessages().first?["messages"]?.arrayValue?.first?["image"])
        #expect(image["mime_type"] == "image/png")
        #expect(image["caption"] == "hi")
        #expect(image["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(image["data"] == nil)
        let id = try #require(image["id"]?.stringValue)
        let file = try #require(image["file"]?.stringValue)
        #expect(file.hasPrefix("/") && file.hasSuffix("/incoming/" + id))
        #expect(FileManager.default.contents(atPath: file) == Data("abc".utf8))
        var download = HTTPClientRequest(url: "http://127.0.0.1:\(node.port)/v1/media/\(id)")
        download.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(download, timeout: .seconds(10))
        #expect(response.status.code == 200)
        #expect(String(buffer: try await response.body.collect(upTo: 1 << 16)) == "abc")
        // The bytes are not in the log.
        let receipt = try #require(try node.node.log.read(shard: 0, fromSeq: 1, limit: 100).first { $0.kind == .receipt })
        #expect(!String(decoding: receipt.payload, as: UTF8.self).contains(bytes))

        // Without the kind in media.auto_download the callback has no `file`.
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"media":{"auto_download":["video"]}}"#, token: token).status == 200)
        try await Task.sleep(for: .milliseconds(1_200))  // settings reach the dispatcher within a second (api.md §9)
        #expect(try await node.call(.POST, "/gateway/inbound", #"{"from":"16315551000","type":"image","image":{"data":"\#(bytes)"}}"#).status == 200)
        try await suite.waitUntil("the second inbound image callback") { receiver.inboundMessages().count == 2 }
        let second = try #require(receiver.inboundMessages().last?["messages"]?.arrayValue?.first?["image"])
        #expect(second["id"] != nil && second["file"] == nil)
        // Bad base64 is the error object, not a 5xx.
        let bad = try await node.call(.POST, "/gateway/inbound", #"{"from":"16315551000","type":"image","image":{"data":"***"}}"#)
        #expect(bad.status == 400)
        try await node.stop()
    }

    @Test func aMediaLinkIsFetchedBeforeTheSendAndAFailedFetchFailsIt() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-media-link")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let suite = WebhookEndToEndTests()
        let token = try await suite.login(node)
        let base = "http://127.0.0.1:\(receiver.port.withLock { $0 })"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(base)/hook"}}"#, token: token).status == 200)
        let good = try await node.call(
            .POST, "/v1/messages", #"{"to":"16315551000","type":"image","image":{"link":"\#(base)/media/ok.jpg"}}"#, token: token)
        let bad = try await node.call(
            .POST, "/v1/messages", #"{"to":"16315552000","type":"image","image":{"link":"\#(base)/media/missing.jpg"}}"#, token: token)
        let goodID = try #require(good.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        let badID = try #require(bad.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        try await suite.waitUntil("both outcomes") {
            receiver.statuses()[goodID] == ["sent", "delivered", "read"] && receiver.statuses()[badID] == ["failed"]
        }
        let failed = receiver.callbacks.withLock { $0 }.flatMap { $0.body["statuses"]?.arrayValue ?? [] }.first { $0["id"]?.stringValue == badID }
        #expect(failed?["errors"] == [["code": 400, "title": "Media download error"]])
        // The network never received the message whose media could not be fetched.
        #expect(node.node.gateway.received(to: "16315552000").isEmpty)
        #expect(node.node.gateway.received(to: "16315551000").count == 1)
        try await node.stop()
    }
}


/// System messages (webhooks.md §4) from the simulated network, posted per their settings.
@Suite(.serialized) struct SystemMessageTests {
    @Test func numberAndIdentityChangesArePostedAsSystemMessagesPerTheirToggles() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-system-messages")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let suite = WebhookEndToEndTests()
        let token = try await suite.login(node)
        let url = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(url)"}}"#, token: token).status == 200)
        #expect(try await node.call(.POST, "/gateway/users/16315551000/change-number", #"{"new_wa_id":"16315559999"}"#).status == 200)
        #expect(try await node.call(.POST, "/gateway/users/16315551000/identity-change").status == 200)
        try await suite.waitUntil("two system messages") { receiver.inboundMessages().count == 2 }
        let posted = receiver.inboundMessages()
        let changed = try #require(posted.compactMap { $0["messages"]?.arrayValue?.first }.first { $0["system"]?["type"] == "user_changed_number" })
        #expect(changed["type"] == "system" && changed["from"] == "16315551000")
        #expect(changed["system"]?["new_wa_id"] == "16315559999")
        #expect(changed["system"]?["body"] == "User 16315551000 changed to 16315559999")
        let identity = try #require(posted.compactMap { $0["messages"]?.arrayValue?.first }.first { $0["system"]?["type"] == "customer_identity_changed" })
        #expect(identity["system"]?["customer"] == "16315551000" && identity["system"]?["identity"]?.stringValue?.isEmpty == false)
        #expect(posted.allSatisfy { $0["contacts"] == nil })  // no contacts with system messages

        // Toggled off: logged, covered without a request.
        let off = #"{"notify_user_change_number":false,"show_security_notifications":false}"#
        #expect(try await node.call(.PATCH, "/v1/settings/application", off, token: token).status == 200)
        try await Task.sleep(for: .milliseconds(1_200))  // settings reach the dispatcher within a second
        #expect(try await node.call(.POST, "/gateway/users/16315551000/change-number", #"{"new_wa_id":"16315558888"}"#).status == 200)
        #expect(try await node.call(.POST, "/gateway/users/16315551000/identity-change").status == 200)
        for _ in 0..<500 where !(await node.node.shards.actors[0].pendingOutbox().isEmpty) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await node.node.shards.actors[0].pendingOutbox().isEmpty, "the toggled-off system messages were not covered")
        #expect(receiver.inboundMessages().count == 2)
        let bad = try await node.call(.POST, "/gateway/users/16315551000/change-number", #"{"new_wa_id":"x"}"#)
        #expect(bad.status == 400)
        try await node.stop()
    }
}

/// Sends whose `link` names a media provider (api.md §6.1, §9.2): the link is fetched with that provider's
/// credentials; without them (or with wrong ones) the media server refuses and the send fails with 400.
@Suite(.serialized) struct MediaProviderLinkTests {
    @Test func aLinkIsFetchedWithItsProvidersBasicOrBearerCredentials() async throws {
        let receiver = WebhookReceiver()
        let receiverTask = try await receiver.start()
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-media-provider")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let suite = WebhookEndToEndTests()
        let token = try await suite.login(node)
        let base = "http://127.0.0.1:\(receiver.port.withLock { $0 })"
        #expect(try await node.call(.PATCH, "/v1/settings/application", #"{"webhooks":{"url":"\#(base)/hook"}}"#, token: token).status == 200)
        let providers = #"""
            [{"name":"basic-media","type":"www","config":{"basic":{"username":"media","password":"s3cret"}}},
             {"name":"bearer-media","type":"www","config":{"bearer":"tok-123"}},
             {"name":"wrong-media","type":"www","config":{"bearer":"not-the-token"}}]
            """#
        #expect(try await node.call(.POST, "/v1/settings/application/media/providers", providers, token: token).status == 200)
        func send(_ to: String, _ path: String, provider: String?) async throws -> (status: Int, json: JSONValue) {
            let named = provider.map { #","provider":{"name":"\#($0)"}"# } ?? ""
            return try await node.call(
                .POST, "/v1/messages", #"{"to":"\#(to)","type":"image","image":{"link":"\#(base)\#(path)"\#(named)}}"#, token: token)
        }
        func id(_ reply: (status: Int, json: JSONValue)) throws -> String {
            try #require(reply.json["messages"]?.arrayValue?.first?["id"]?.stringValue, "send refused: \(reply.json)")
        }
        let basic = try id(try await send("16315551001", "/media/basic.jpg", provider: "basic-media"))
        let bearer = try id(try await send("16315551002", "/media/bearer.jpg", provider: "bearer-media"))
        let anonymous = try id(try await send("16315551003", "/media/basic.jpg", provider: nil))
        let wrong = try id(try await send("16315551004", "/media/bearer.jpg", provider: "wrong-media"))
        // A provider that is not configured is refused at once (api.md §6.1: 400, 1009).
        let unknown = try await send("16315551005", "/media/basic.jpg", provider: "no-such-provider")
        #expect(unknown.status == 400)
        #expect(unknown.json["errors"]?.arrayValue?.first?["code"] == 1009)
        try await suite.waitUntil("all four outcomes") {
            let statuses = receiver.statuses()
            return statuses[basic] == ["sent", "delivered", "read"] && statuses[bearer] == ["sent", "delivered", "read"]
                && statuses[anonymous] == ["failed"] && statuses[wrong] == ["failed"]
        }
        #expect(node.node.gateway.received(to: "16315551001").count == 1)
        #expect(node.node.gateway.received(to: "16315551002").count == 1)
        #expect(node.node.gateway.received(to: "16315551003").isEmpty)
        #expect(node.node.gateway.received(to: "16315551004").isEmpty)
        try await node.stop()
    }
}
