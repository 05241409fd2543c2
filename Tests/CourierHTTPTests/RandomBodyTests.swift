import CourierCore
import CourierGateway
import CourierHTTP
import CourierShards
import CourierTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Generated bodies against every route of the API (issue: "a randomized body test never gets a 5xx"):
/// byte soup built from JSON fragments and structurally valid objects with the API's field names and
/// wrong or random values. Every answer is below 500 and, when not 2xx, the spec's error object.
@Suite struct RandomBodyTests {
    static let bodiesPerRoute = 1_000

    static let fragments = [
        "{", "}", "[", "]", ",", ":", "\"to\"", "\"text\"", "\"body\"", "\"type\"", "\"password\"", "1", "-0.5e3", "true", "null",
        "\"16315551000\"", "\"\\u00e9\"", "\"\"", " ", "\"webhooks\"", "\"url\"", "\"code\"", "{\"body\":\"x\"}", "\"\\ud800\"",
        "1e999", "\"status\"", "\"read\"", "\"shards\"", "\"name\"",
    ]
    static let keys = [
        "to", "type", "text", "image", "status", "password", "new_password", "username", "code", "cc", "phone_number", "method",
        "cert", "pin", "shards", "contacts", "blocking", "force_check", "webhooks", "url", "data", "name", "config", "bearer",
        "address", "websites", "email", "hash", "from", "vname", "valid_days", "sent_status", "callback_persist", "zzz",
    ]
    static let values = [
        "1", "0", "-1", "1.5", "\"x\"", "null", "[]", "{}", "true", "false", "\"16315551000\"", "{\"body\":\"hi\"}",
        "{\"url\":7}", "[\"a\",1]", "\"123456\"", "\"read\"", "\"https://example.com/a\"", "9999999999999999999999",
        "\"\(String(repeating: "a", count: 300))\"",
    ]

    static func bodies(seed: UInt64) -> [String] {
        var random = SeededRandom(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        var bodies: [String] = []
        for index in 0..<bodiesPerRoute {
            if index % 2 == 0 {
                let count = Int(random.next() % 12)
                bodies.append((0..<count).map { _ in pick(fragments) }.joined())
            } else {
                let count = Int(random.next() % 5)
                var members = (0..<count).map { _ in "\"\(pick(keys))\":\(pick(values))" }
                if random.next() % 4 == 0 {
                    members.append("\"\(pick(keys))\":{\"\(pick(keys))\":\(pick(values))}")
                }
                bodies.append(random.next() % 10 == 0 ? "[" + members.joined(separator: ",") + "]" : "{" + members.joined(separator: ",") + "}")
            }
        }
        return bodies
    }

    /// A concrete URI for a route pattern.
    static func uri(_ path: String) -> String {
        path.replacingOccurrences(of: "{username}", with: "nobody").replacingOccurrences(of: "{id}", with: "0b9d2f3e-1c4a-4d5e-8f60-718293a4b5c6")
            .replacingOccurrences(of: "{name}", with: "cdn").replacingOccurrences(of: "{wa_id}", with: "16315551000")
            .replacingOccurrences(of: "{message-id}", with: "ABGGFlA5FpafAgo6EhQ")
    }

    @Test func generatedBodiesNeverGetA5xxOnAnyRoute() async throws {
        let directory = try TemporaryDirectory("courier-random")
        defer { directory.remove() }
        var harness = APIHarness()
        let store = MediaStore(root: directory.path + "/media", clock: harness.clock.function)
        try store.prepare()
        harness.media = store
        harness.mediaCollector = MediaCollector(store: store, clock: harness.clock.function, logger: Logger(label: "test"))
        let gateway = GatewaySimulator(clock: harness.clock.function, logger: Logger(label: "test.gateway"))
        harness.gateway = gateway
        harness.stats.messageGC = MessageGC(
            shards: harness.shards, log: nil, configuration: MessageGC.Configuration(nodeKey: "test"), logger: Logger(label: "test.gc"))
        let shards = harness.shards
        gateway.inbound.onMessage { receipt in try await shards.actor(for: receipt.from).recordReceipt(receipt) }
        harness.injectInbound = { try await gateway.inbound.inject($0) }
        harness.metricsText = { Array("courier_up 1\n".utf8) }
        harness.support = {
            SupportFacts(
                version: "test", databaseEngine: "NONE", schemaVersion: nil, shards: 1, nodeKey: "test", dataFreeBytes: nil,
                mediaFreeBytes: nil, replicationLagEvents: 0
            ).json
        }
        // Logout last: it is the one route that ends the session the others use.
        let routes = CourierAPI.routes.filter { $0.path != "/v1/users/logout" } + CourierAPI.routes.filter { $0.path == "/v1/users/logout" }
        try await harness.run { client in
            _ = try await client.adminAuthorization()
            var failures: [String] = []
            for (index, route) in routes.enumerated() {
                // A fresh token per route: a random body may have logged the last one out or changed nothing else.
                var auth = try await client.bearer("admin", APIHarness.adminPassword)
                auth[.contentType] = "application/json"
                for body in Self.bodies(seed: UInt64(index + 1)) where failures.count < 10 {
                    let response = try await client.execute(uri: Self.uri(route.path), method: route.method, headers: auth, body: ByteBuffer(string: body))
                    let ok = response.status.code < 300
                    let errorObject = response.errorCode != nil || response.status == .notFound  // media GET: empty 404
                    if response.status.code >= 500 || (!ok && !errorObject) {
                        failures.append("\(route.method) \(route.path) \(body) → \(response.status) \(String(buffer: response.body).prefix(200))")
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }
}
