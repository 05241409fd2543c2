import CourierApp
import CourierCore
import CourierTesting
import NIOHTTP1
import Testing

/// `GET /v1/support` (api.md §14) on a whole node.
@Suite struct SupportAPITests {
    @Test func supportDescribesTheNode() async throws {
        let directory = try TemporaryDirectory("courier-support")
        defer { directory.remove() }
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path + "/data"
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.nodeName = "wacore1"
        try await runNode(configuration) { port in
            let base = "http://127.0.0.1:\(port)"
            let basic = "Basic " + Base64Text.encode(Array("admin:secret".utf8))
            let login = try await fetch(
                base + "/v1/users/login", method: .POST, headers: [("Authorization", basic), ("Content-Type", "application/json")],
                body: #"{"new_password":"\#(APIHarness.adminPassword)"}"#)
            let token = try #require(try JSONParser.parse(Array(login.body.utf8))["users"]?.arrayValue?.first?["token"]?.stringValue)
            let response = try await fetch(base + "/v1/support", headers: [("Authorization", "Bearer \(token)")])
            #expect(response.status == 200)
            let support = try #require(try JSONParser.parse(Array(response.body.utf8))["support"])
            #expect(support["api_version"] == "v2.45.1")
            #expect(support["db_engine"] == "NONE")
            #expect(support["schema_version"] == .null)
            #expect(support["shards"] == 1)
            #expect(support["node"]?.stringValue?.hasPrefix("wacore1:") == true)
            #expect(support["replication_lag_events"] == 0)
            if case .integer(let free)? = support["data_free_bytes"] { #expect(free > 0) } else { Issue.record("data_free_bytes missing") }
            if case .integer(let free)? = support["media_free_bytes"] { #expect(free > 0) } else { Issue.record("media_free_bytes missing") }
            // Not for plain users or anonymous callers.
            #expect(try await fetch(base + "/v1/support").status == 401)
        }
    }
}
