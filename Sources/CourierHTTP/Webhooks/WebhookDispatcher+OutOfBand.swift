import AsyncHTTPClient
import CourierCore
import NIOCore

extension WebhookDispatcher {
    /// One post of an out-of-band errors callback (webhooks.md §6) with the callbacks' client, timeout,
    /// TLS trust and headers; returns the status code (the caller decides success and retries).
    nonisolated func postOutOfBand(_ body: [UInt8], delivery: String, attempt: Int, settings: WebhookSettings) async throws -> Int {
        var request = HTTPClientRequest(url: settings.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Courier/\(configuration.version)")
        request.headers.add(name: "X-Courier-Delivery", value: delivery)
        request.headers.add(name: "X-Courier-Attempt", value: "\(attempt)")
        request.body = .bytes(body)
        if let pem = settings.trustedCAPEM, settings.url.lowercased().hasPrefix("https:") {
            request.tlsConfiguration = try trustConfiguration(pem)
        }
        let response = try await client.execute(request, timeout: Self.timeAmount(configuration.timeout))
        _ = try? await response.body.collect(upTo: 64 << 10)  // ignored; read so the connection is reusable
        return Int(response.status.code)
    }
}
