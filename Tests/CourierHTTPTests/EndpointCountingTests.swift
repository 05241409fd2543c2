import CourierCore
import CourierHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `endpoint_requests{endpoint,result}`: counted under the matched route's pattern (the router's
/// endpoint path), never for unknown paths or methods a path does not serve.
@Suite struct EndpointCountingTests {
    func count(_ response: TestResponse, endpoint: String, result: String) -> Int64? {
        let samples = response.json?["stats"]?["app"]?["endpoint_requests"]?["data"]?.arrayValue ?? []
        for sample in samples {
            let labels = sample["labels"]?.objectValue?.members.map { ($0.key, $0.value.stringValue ?? "") } ?? []
            if Dictionary(uniqueKeysWithValues: labels) == ["endpoint": endpoint, "result": result],
                case .integer(let value)? = sample["value"]
            {
                return value
            }
        }
        return nil
    }

    func endpoints(_ response: TestResponse) -> Set<String> {
        let samples = response.json?["stats"]?["app"]?["endpoint_requests"]?["data"]?.arrayValue ?? []
        return Set(samples.compactMap { $0["labels"]?["endpoint"]?.stringValue })
    }

    @Test func countsByRoutePatternAndSkipsUnknownPathsAndMethods() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            _ = try await client.createUser("alice", "Al1ce!pass", admin: admin)
            // A parameterized route: both users count under the pattern, the unknown one as a failure.
            #expect(try await client.execute(uri: "/v1/users/alice", method: .get, headers: admin).status == .ok)
            #expect(try await client.execute(uri: "/v1/users/admin/", method: .get, headers: admin).status == .ok)
            #expect(try await client.execute(uri: "/v1/users/nobody", method: .get, headers: admin).status == .notFound)
            // Not counted: an unknown path, and a method the path does not serve (405).
            #expect(try await client.execute(uri: "/v1/nowhere", method: .get, headers: admin).status == .notFound)
            #expect(try await client.execute(uri: "/v1/messages", method: .delete, headers: admin).status == .methodNotAllowed)
            let stats = try await client.execute(uri: "/v1/stats/app", method: .get, headers: admin)
            #expect(stats.status == .ok)
            #expect(count(stats, endpoint: "/v1/users/{username}", result: "success") == 2)
            #expect(count(stats, endpoint: "/v1/users/{username}", result: "failure") == 1)
            #expect(count(stats, endpoint: "/v1/users", result: "success") == 1)
            let seen = endpoints(stats)
            #expect(!seen.contains("/v1/nowhere") && !seen.contains("NotFound") && !seen.contains("/v1/messages"))
            #expect(seen.isSubset(of: Set(CourierAPI.routes.map(\.path))))
        }
    }
}
