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
    let port = Mutex<Int?>(nil)
    let node = try await Node.build(
        configuration: configuration, logger: Logger(label: "test"), credentials: .testing(),
        onListening: { bound in port.withLock { $0 = bound } })
    let group = ServiceGroup(services: node.services, logger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        for _ in 0..<500 where port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        let bound = try #require(port.withLock { $0 })
        do {
            try await body(bound)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
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
