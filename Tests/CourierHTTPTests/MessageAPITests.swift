import CourierCore
import CourierHTTP
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct MessageAPITests {
    @Test func healthHasTheSpecShape() async throws {
        try await APIHarness().run { client in
            let auth = try await client.adminAuthorization()
            try await client.execute(uri: "/v1/health", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(response.json == ["health": ["gateway_status": "unregistered"], "meta": ["api_status": "stable", "version": "v2.45.1"]])
                #expect(response.headers[.server]?.hasPrefix("Courier/") == true)
                #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            }
        }
    }

    @Test func textSendIsLoggedThenAcknowledged() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            let body = jsonBody(#"{"to":"+1 631-555-1000","type":"text","text":{"body":"Your order has shipped"}}"#)
            try await client.execute(uri: "/v1/messages", method: .post, headers: jsonHeaders.with(auth), body: body) { response in
                #expect(response.status == .created)
                let id = try #require(response.json?["messages"]?.arrayValue?.first?["id"]?.stringValue)
                #expect(id.hasPrefix("gBG"))
                #expect(MessageID.embeddedHash(id) == ShardHash.fnv1a64("16315551000"))
                let records = harness.storage.allRecords
                #expect(records.count == 1)
                let event = try SendEvent(decoding: records[0].payload)
                #expect(event.messageID == id)
                #expect(event.to == "16315551000")
                #expect(try JSONParser.parse(event.content) == ["body": "Your order has shipped"])
            }
        }
    }

    @Test func trailingSlashAndMissingContentTypeAreAccepted() async throws {
        try await APIHarness().run { client in
            let auth = try await client.adminAuthorization()
            let body = jsonBody(#"{"to":"16315551000","text":{"body":"x"}}"#)
            try await client.execute(uri: "/v1/messages/", method: .post, headers: auth, body: body) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func requestIDIsEchoed() async throws {
        try await APIHarness().run { client in
            let auth = try await client.adminAuthorization()
            try await client.execute(uri: "/v1/health", method: .get, headers: auth.with([HTTPField.Name("X-Request-Id")!: "abc-123"])) { response in
                #expect(response.headers[HTTPField.Name("X-Request-Id")!] == "abc-123")
            }
        }
    }

    @Test(arguments: [
        (#"{"to":"16315551000","text":{"body":"x"},"image":{"id":"1"}}"#, 1010),
        (#"{"text":{"body":"x"}}"#, 1008),
        (#"{"to":"not a number","text":{"body":"x"}}"#, 1013),
        (#"{"to":"16315551000","recipient_type":"group","text":{"body":"x"}}"#, 1002),
        (#"{"to":"16315551000","type":"fax"}"#, 1009),
        (#"{"to":"16315551000","text":{"body":""}}"#, 1009),
        (#"{bad json"#, 1025),
        (#"[]"#, 1009),
        (#""#, 1008),
    ])
    func invalidSendsGetTheErrorObject(body: String, code: Int64) async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            try await client.execute(uri: "/v1/messages", method: .post, headers: jsonHeaders.with(auth), body: jsonBody(body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == code)
                #expect(response.json?["meta"] != nil)
                #expect(response.json?["errors"]?.arrayValue?.first?["title"]?.stringValue == APIProblem.title(of: Int(code)))
            }
            #expect(harness.storage.allRecords.isEmpty)
        }
    }

    @Test func tooLongTextIs1001() async throws {
        try await APIHarness().run { client in
            let auth = try await client.adminAuthorization()
            let body = jsonBody(#"{"to":"16315551000","text":{"body":""# + String(repeating: "a", count: 4097) + #""}}"#)
            try await client.execute(uri: "/v1/messages", method: .post, headers: jsonHeaders.with(auth), body: body) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == 1001)
            }
        }
    }

    @Test func conventionsErrors() async throws {
        var configuration = APIConfiguration()
        configuration.bodyLimitBytes = 64
        try await APIHarness(configuration: configuration).run { client in
            let auth = try await client.adminAuthorization()
            try await client.execute(uri: "/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == 1006)
            }
            try await client.execute(uri: "/v1/messages", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.errorCode == 1025)
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/v1/messages", method: .post, headers: auth.with([.contentType: "text/plain"]), body: jsonBody("{}")) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(response.errorCode == 1025)
            }
            let big = jsonBody(#"{"to":"16315551000","text":{"body":""# + String(repeating: "a", count: 200) + #""}}"#)
            try await client.execute(uri: "/v1/messages", method: .post, headers: jsonHeaders.with(auth), body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.errorCode == 1025)
            }
        }
    }

    @Test func idempotencyKeyReplaysAndConflicts() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            var headers = jsonHeaders
            headers[HTTPField.Name("X-Courier-Idempotency-Key")!] = "order-42"
            let body = #"{"to":"16315551000","text":{"body":"shipped"}}"#
            let first = try await client.execute(uri: "/v1/messages", method: .post, headers: headers.with(auth), body: jsonBody(body)) { $0.json?["messages"] }
            try await client.execute(uri: "/v1/messages", method: .post, headers: headers.with(auth), body: jsonBody(body)) { response in
                #expect(response.status == .created)
                #expect(response.json?["messages"] == first)
                #expect(response.headers[HTTPField.Name("X-Courier-Idempotent-Replay")!] == "true")
            }
            let other = #"{"to":"16315551000","text":{"body":"cancelled"}}"#
            try await client.execute(uri: "/v1/messages", method: .post, headers: headers.with(auth), body: jsonBody(other)) { response in
                #expect(response.status == .conflict)
                #expect(response.errorCode == 1004)
            }
            headers[HTTPField.Name("X-Courier-Idempotency-Key")!] = String(repeating: "k", count: 129)
            try await client.execute(uri: "/v1/messages", method: .post, headers: headers.with(auth), body: jsonBody(body)) { response in
                #expect(response.errorCode == 1009)
            }
            #expect(harness.storage.allRecords.count == 1)
        }
    }

    @Test func storageFailureIsA503AndNothingIsAcknowledged() async throws {
        let harness = APIHarness()
        harness.log.failNextAppends(1)
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            let body = jsonBody(#"{"to":"16315551000","text":{"body":"x"}}"#)
            try await client.execute(uri: "/v1/messages", method: .post, headers: jsonHeaders.with(auth), body: body) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.json?["messages"] == nil)
                #expect(response.headers[.retryAfter] == "1")
            }
            #expect(harness.storage.allRecords.isEmpty)
        }
    }

    @Test func randomBodiesNeverGetA5xx() async throws {
        var random = SeededRandom(seed: 7)
        let fragments = [
            "{", "}", "[", "]", ",", ":", "\"to\"", "\"text\"", "\"body\"", "\"type\"", "\"image\"", "1", "-0.5e3", "true",
            "null", "\"16315551000\"", "\"\\u00e9\"", "\"\"", " ", "\"preview_url\"", "\"recipient_type\"", "{\"body\":\"x\"}",
        ]
        var bodies: [String] = []
        for _ in 0..<1500 {
            let count = Int(random.next() % 14)
            bodies.append((0..<count).map { _ in fragments[Int(random.next() % UInt64(fragments.count))] }.joined())
        }
        // Structured but wrong: valid JSON objects with random fields and types.
        let values = ["1", "\"x\"", "null", "[]", "{}", "true", "\"16315551000\"", "{\"body\":\"hi\"}", "{\"body\":7}"]
        let keys = ["to", "type", "text", "image", "preview_url", "recipient_type", "location", "zzz"]
        for _ in 0..<1500 {
            let count = Int(random.next() % 5)
            let members = (0..<count).map { _ in
                "\"\(keys[Int(random.next() % UInt64(keys.count))])\":\(values[Int(random.next() % UInt64(values.count))])"
            }
            bodies.append("{" + members.joined(separator: ",") + "}")
        }
        let corpus = bodies
        try await APIHarness().run { client in
            let auth = try await client.adminAuthorization()
            for body in corpus {
                try await client.execute(uri: "/v1/messages", method: .post, headers: jsonHeaders.with(auth), body: jsonBody(body)) { response in
                    #expect(response.status.code < 500, "body \(body) → \(response.status)")
                    #expect(response.status == .created || response.errorCode != nil, "body \(body)")
                }
            }
        }
    }
}
