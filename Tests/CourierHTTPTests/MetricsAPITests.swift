import CourierCore
import CourierHTTP
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct MetricsAPITests {
    @Test func metricsNeedBearerOrApikeyAndServeText() async throws {
        var configuration = APIConfiguration()
        configuration.apiKey = "monitoring-key-0001"
        var harness = APIHarness(configuration: configuration)
        harness.metricsText = { Array("courier_log_events_total 7\n".utf8) }
        try await harness.run { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Apikey monitoring-key-0001"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(String(buffer: response.body) == "courier_log_events_total 7\n")
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Apikey wrong-key-000000"]) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func metricsOffAnswers1011() async throws {
        var configuration = APIConfiguration()
        configuration.apiKey = "monitoring-key-0001"
        try await APIHarness(configuration: configuration).run { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Apikey monitoring-key-0001"]) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.errorCode == 1011)
            }
        }
    }
}
