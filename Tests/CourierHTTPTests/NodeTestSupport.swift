import AsyncHTTPClient
import CourierApp
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

/// Runs a whole node (services in a group, HTTP on a free loopback port) until `body` returns.
func runNode(_ configuration: NodeConfiguration, _ body: (Int) async throws -> Void) async throws {
    let running = try await RunningNode.start(configuration)
    #expect(running.port != 0, "the node did not report its port")
    do {
        try await body(running.port)
    } catch {
        try? await running.stop()
        throw error
    }
    try await running.stop()
}

/// A plain-HTTP request to a node on loopback: status and body.
func fetch(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil) async throws
    -> (status: UInt, body: String)
{
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let collected = try await response.body.collect(upTo: 1 << 20)
    return (response.status.code, String(buffer: collected))
}
