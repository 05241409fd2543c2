import AsyncHTTPClient
import CourierApp
import CourierCore
import CourierStore
import CourierTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// A callback as the receiver saw it.
struct ReceivedCallback: Sendable {
    var delivery: String
    var attempt: Int
    var userAgent: String
    var body: JSONValue
    var answered: Int
}

/// A webhook receiver on 127.0.0.1: records every request, answers 500 while `failing`.
final class WebhookReceiver: Sendable {
    let callbacks = Mutex<[ReceivedCallback]>([])
    let failing = Mutex(false)

    let port = Mutex(0)

    func application(server: HTTPServerBuilder = .http1()) -> some ApplicationProtocol {
        let router = Router()
        // Media for sends by `link`: Courier fetches it before handing the message to the network.
        router.get("/media/ok.jpg") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(string: "jpeg")))
        }
        // Media behind credentials, for sends naming a media provider (api.md §9.2).
        for (path, expected) in [
            ("/media/basic.jpg", "Basic " + Data("media:s3cret".utf8).base64EncodedString()), ("/media/bearer.jpg", "Bearer tok-123"),
        ] {
            router.get(RouterPath(path)) { request, _ -> Response in
                guard request.headers[.authorization] == expected else { return Response(status: .unauthorized) }
                return Response(status: .ok, headers: [.contentType: "image/jpeg"], body: .init(byteBuffer: ByteBuffer(string: "jpeg")))
            }
        }
        router.post("/hook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let body = (try? JSONParser.parse(Array(buffer.readableBytesView))) ?? .null  // checked by the test
            let status: HTTPResponse.Status = self.failing.withLock { $0 } ? .internalServerError : .noContent
            self.callbacks.withLock {
                $0.append(
                    ReceivedCallback(
                        delivery: request.headers[HTTPField.Name("X-Courier-Delivery")!] ?? "",
                        attempt: Int(request.headers[HTTPField.Name("X-Courier-Attempt")!] ?? "") ?? 0,
                        userAgent: request.headers[.userAgent] ?? "", body: body, answered: status.code))
            }
            return Response(status: status)
        }
        return Application(
            router: router, server: server, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.port.withLock { $0 = channel.localAddress?.port ?? 0 } },
            logger: Logger(label: "test.receiver"))
    }

    /// Runs the receiver on a free loopback port until the returned task is cancelled; returns once it listens.
    func start(server: HTTPServerBuilder = .http1()) async throws -> Task<Void, any Error> {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [application(server: server)], logger: Logger(label: "test.receiver")))
        let task = Task { try await group.run() }
        for _ in 0..<500 where port.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        return task
    }

    /// Status values posted successfully per message id, in arrival order.
    func statuses() -> [String: [String]] {
        var result: [String: [String]] = [:]
        for callback in callbacks.withLock({ $0 }) where callback.answered < 300 {
            for status in callback.body["statuses"]?.arrayValue ?? [] {
                result[status["id"]?.stringValue ?? "", default: []].append(status["status"]?.stringValue ?? "")
            }
        }
        return result
    }

    func inboundMessages() -> [JSONValue] {
        callbacks.withLock { $0 }.filter { $0.answered < 300 && $0.body["messages"] != nil }.map(\.body)
    }
}

/// A node with its embedded gateway, run as a service group on loopback.
struct RunningNode {
    let node: Node
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int

    static func start(_ directory: TemporaryDirectory, database: DatabaseConfiguration? = nil) async throws -> RunningNode {
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.gateway.sentDelay = .milliseconds(1)
        configuration.gateway.deliveredDelay = .milliseconds(2)
        configuration.gateway.readDelay = .milliseconds(3)
        configuration.gateway.seed = 7
        configuration.webhookTimeout = .seconds(2)
        if let database {
            configuration.database = database
            configuration.replicationAck = .replicated
        }
        return try await start(configuration)
    }

    /// Builds a node from `configuration` and runs its services until `stop()`.
    static func start(_ configuration: NodeConfiguration) async throws -> RunningNode {
        let port = Mutex(0)
        let node = try await Node.build(
            configuration: configuration, logger: Logger(label: "test.node"), credentials: .testing(),
            onListening: { bound in port.withLock { $0 = bound } })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: node.services.map { .init(service: $0) }, logger: Logger(label: "test.group")))
        let task = Task { try await group.run() }
        for _ in 0..<500 where port.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        return RunningNode(node: node, group: group, task: task, port: port.withLock { $0 })
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    func call(_ method: HTTPMethodName, _ path: String, _ body: String? = nil, token: String? = nil) async throws -> (status: Int, json: JSONValue) {
        try await call(method, path, body, token: token, contentType: "application/json")
    }

    /// A plain-text body (PEM), answering the status only.
    func callText(_ method: HTTPMethodName, _ path: String, _ body: String, token: String) async throws -> Int {
        try await call(method, path, body, token: token, contentType: "text/plain").status
    }

    func call(_ method: HTTPMethodName, _ path: String, _ body: String?, token: String?, contentType: String) async throws
        -> (status: Int, json: JSONValue)
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method.rawValue)
        request.headers.add(name: "Content-Type", value: contentType)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONParser.parse(Array(bytes.readableBytesView))) ?? .null)  // checked by callers
    }
}

enum HTTPMethodName: String { case GET, POST, PUT, PATCH }

@Suite(.serialized) struct WebhookEndToEndTests {
    static let messages: [(type: String, body: String)] = [
        ("text", #""text":{"body":"hello"}"#),
        ("template", #""template":{"namespace":"ns","name":"hello_world","language":{"policy":"deterministic","code":"en"}}"#),
        ("image", #""image":{"link":"MEDIA_BASE/media/ok.jpg","caption":"a"}"#),
        ("location", #""location":{"latitude":37.48,"longitude":-122.14,"name":"HQ"}"#),
        ("contacts", #""contacts":[{"name":{"formatted_name":"Ana Silva"},"phones":[{"phone":"+1 631 555 1000"}]}]"#),
        ("interactive", #""interactive":{"type":"button","body":{"text":"Pick"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]}}"#),
    ]

    func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        if !condition() { Issue.record("timed out waiting for \(what)") }
    }

    func login(_ node: RunningNode) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(node.port)/v1/users/login")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Basic " + Data("admin:secret".utf8).base64EncodedString())
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"new_password":"Adm1n!pass"}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let json = try JSONParser.parse(Array(try await response.body.collect(upTo: 1 << 16).readableBytesView))
        return try #require(json["users"]?.arrayValue?.first?["token"]?.stringValue, "login failed: \(json)")
    }

    func relogin(_ node: RunningNode) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(node.port)/v1/users/login")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Basic " + Data("admin:Adm1n!pass".utf8).base64EncodedString())
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let json = try JSONParser.parse(Array(try await response.body.collect(upTo: 1 << 16).readableBytesView))
        return try #require(json["users"]?.arrayValue?.first?["token"]?.stringValue, "login failed: \(json)")
    }

    @Test func sendsInboundMarkReadRetriesAndARestartLoseNoCallback() async throws {
        let receiver = WebhookReceiver()
        let receiverApp = receiver.application()
        let receiverGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [receiverApp], logger: Logger(label: "test.receiver")))
        let receiverTask = Task { try await receiverGroup.run() }
        defer { receiverTask.cancel() }
        try await waitUntil("the receiver to listen") { receiver.port.withLock { $0 } != 0 }
        let directory = try TemporaryDirectory("courier-webhooks")
        defer { directory.remove() }

        var node = try await RunningNode.start(directory)
        var token = try await login(node)
        let hook = "http://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        let patch = try await node.call(
            .PATCH, "/v1/settings/application",
            #"{"webhooks":{"url":"\#(hook)"},"callback_backoff_delay_ms":100,"max_callback_backoff_delay_ms":300}"#, token: token)
        #expect(patch.status == 200)

        // Outbound messages of every kind: sent, delivered, read arrive in that order per message.
        var ids: [String] = []
        let mediaBase = "http://127.0.0.1:\(receiver.port.withLock { $0 })"
        for message in Self.messages {
            let body = message.body.replacingOccurrences(of: "MEDIA_BASE", with: mediaBase)
            let sent = try await node.call(.POST, "/v1/messages", #"{"to":"447700900123","type":"\#(message.type)",\#(body)}"#, token: token)
            #expect(sent.status == 201, "\(message.type): \(sent.json)")
            ids.append(sent.json["messages"]?.arrayValue?.first?["id"]?.stringValue ?? "")
        }
        try await waitUntil("sent, delivered, read for every message") { ids.allSatisfy { receiver.statuses()[$0]?.count == 3 } }
        for id in ids {
            let state = await node.node.shards.actors[0].snapshot
            #expect(
                receiver.statuses()[id] == ["sent", "delivered", "read"],
                "\(id): \(String(describing: state.messages[id]?.status)), pending \(state.webhooks.outbox.count), \(String(describing: node.node.webhooks?.stats()))")
        }
        let first = try #require(receiver.callbacks.withLock { $0.first })
        #expect(first.userAgent.hasPrefix("Courier/"))
        #expect(first.attempt == 1)
        #expect(first.delivery.hasPrefix("0:"))
        #expect(first.body["statuses"]?.arrayValue?.first?["conversation"]?["origin"]?["type"] == "business_initiated")

        // Inbound: a contacts message injected at the gateway reaches the webhook with its sender's contact.
        let injected = try await node.call(
            .POST, "/gateway/inbound",
            #"{"from":"+1 631 555 1000","type":"contacts","name":"Ana","contacts":[{"name":{"formatted_name":"Bo"}}]}"#)
        #expect(injected.status == 200, "\(injected.json)")
        let inboundID = try #require(injected.json["id"]?.stringValue)
        #expect(inboundID.hasPrefix("ABG"))
        try await waitUntil("the inbound callback") { !receiver.inboundMessages().isEmpty }
        let inbound = try #require(receiver.inboundMessages().first)
        #expect(inbound["contacts"] == [["profile": ["name": "Ana"], "wa_id": "16315551000"]])
        let message = try #require(inbound["messages"]?.arrayValue?.first)
        #expect(message["id"]?.stringValue == inboundID)
        #expect(message["type"] == "contacts")
        #expect(message["contacts"]?.arrayValue?.first?["name"]?["formatted_name"] == "Bo")
        let badInbound = try await node.call(.POST, "/gateway/inbound", #"{"from":"12","type":"text","text":{"body":"x"}}"#)
        #expect(badInbound.status == 400)
        #expect(badInbound.json["errors"]?.arrayValue?.first?["code"] == 1013)

        // Mark read: 200, repeat 200, read receipt at the gateway; outbound 400/1009, unknown 404/1006.
        #expect(try await node.call(.PUT, "/v1/messages/\(inboundID)", #"{"status":"read"}"#, token: token).status == 200)
        #expect(try await node.call(.PUT, "/v1/messages/\(inboundID)", #"{"status":"read"}"#, token: token).status == 200)
        #expect(node.node.gateway.inbound.readReceipts().map(\.messageID) == [inboundID])
        let outbound = try await node.call(.PUT, "/v1/messages/\(ids[0])", #"{"status":"read"}"#, token: token)
        #expect(outbound.status == 400 && outbound.json["errors"]?.arrayValue?.first?["code"] == 1009)
        let wrongStatus = try await node.call(.PUT, "/v1/messages/\(inboundID)", #"{"status":"delivered"}"#, token: token)
        #expect(wrongStatus.status == 400 && wrongStatus.json["errors"]?.arrayValue?.first?["code"] == 1009)
        let unknown = try await node.call(.PUT, "/v1/messages/ABGAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", #"{"status":"read"}"#, token: token)
        #expect(unknown.status == 404 && unknown.json["errors"]?.arrayValue?.first?["code"] == 1006)

        // The receiver fails: callbacks are retried with backoff; a restart in the middle loses none.
        receiver.failing.withLock { $0 = true }
        let late = try await node.call(.POST, "/v1/messages", #"{"to":"447700900123","text":{"body":"late"}}"#, token: token)
        let lateID = try #require(late.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        try await waitUntil("a retried callback") { receiver.callbacks.withLock { $0.contains { $0.attempt >= 2 } } }
        try await node.stop()
        node = try await RunningNode.start(directory)
        token = try await relogin(node)
        try await waitUntil("another failed attempt after the restart") {
            receiver.callbacks.withLock { $0.filter { $0.answered == 500 }.count } >= 4
        }
        receiver.failing.withLock { $0 = false }
        try await waitUntil("the late message's statuses") { receiver.statuses()[lateID]?.count == 3 }
        #expect(receiver.statuses()[lateID] == ["sent", "delivered", "read"])
        for id in ids { #expect(receiver.statuses()[id] == ["sent", "delivered", "read"], "no duplicate after the restart: \(id)") }
        #expect(receiver.inboundMessages().count == 1)
        // Per wa_id, successful callbacks follow log order; a retry after the restart names the same positions.
        let succeeded = receiver.callbacks.withLock { $0 }.filter { $0.answered < 300 && $0.body["statuses"] != nil }
        let firstSeqs = succeeded.map { callback in
            UInt64(callback.delivery.split(separator: ":")[1].split(separator: "-")[0]) ?? 0
        }
        #expect(firstSeqs == firstSeqs.sorted() && Set(firstSeqs).count == firstSeqs.count, "\(firstSeqs)")
        let failedDeliveries = Set(receiver.callbacks.withLock { $0 }.filter { $0.answered == 500 }.map(\.delivery))
        let lateSent = succeeded.first { $0.body["statuses"]?.arrayValue?.first?["id"]?.stringValue == lateID }
        #expect(lateSent.map { failedDeliveries.contains($0.delivery) } == true)
        try await waitUntil("an empty queue") { node.node.webhooks?.stats().queueSize == 0 }
        let stats = try #require(node.node.webhooks?.stats())
        #expect(stats.requestsSucceeded >= 1 && stats.queueSize == 0)
        try await node.stop()
        await receiverGroup.triggerGracefulShutdown()
    }
}
