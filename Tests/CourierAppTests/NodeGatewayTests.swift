import CourierApp
import CourierCore
import CourierGateway
import CourierLog
import CourierShards
import CourierTesting
import Logging
import Testing

/// The all-in-one node with its embedded gateway: durable sends go out, receipts come back as
/// `status` events, and sends owed to the network after a restart are dispatched again.
@Suite struct NodeGatewayTests {
    func configuration(_ directory: TemporaryDirectory, seed: UInt64) -> NodeConfiguration {
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.gateway.sentDelay = .milliseconds(1)
        configuration.gateway.deliveredDelay = .milliseconds(2)
        configuration.gateway.readDelay = .milliseconds(3)
        configuration.gateway.seed = seed
        return configuration
    }

    func status(_ node: Node, _ id: String, to: String) async -> MessageStatus? {
        await node.shards.actor(for: to).snapshot.messages[id]?.status
    }

    func waitFor(_ expected: MessageStatus, _ node: Node, _ id: String, to: String) async throws {
        for _ in 0..<400 where await status(node, id, to: to) != expected { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func receiptsBecomeStatusEvents() async throws {
        let directory = try TemporaryDirectory("courier-node")
        defer { directory.remove() }
        let node = try await Node.build(configuration: configuration(directory, seed: 1), logger: Logger(label: "test"))
        let request = SendRequest(messageID: "gBGtest1", to: "16315551000", type: "text", content: Array("{\"body\":\"hi\"}".utf8))
        _ = try await node.shards.actor(for: "16315551000").send(request)
        try await waitFor(.read, node, "gBGtest1", to: "16315551000")
        #expect(await status(node, "gBGtest1", to: "16315551000") == .read)
        let kinds = try node.log.read(shard: 0, fromSeq: 1, limit: 10).compactMap(\.kind)
        #expect(kinds == [.send, .status, .status, .status])
        await node.log.close()
    }

    @Test func sendsOwedToTheNetworkAreDispatchedAfterARestart() async throws {
        let directory = try TemporaryDirectory("courier-node")
        defer { directory.remove() }
        var first = try await Node.build(configuration: configuration(directory, seed: 2), logger: Logger(label: "test"))
        first.gateway.setOnline(false)
        let request = SendRequest(messageID: "gBGtest2", to: "447700900123", type: "text", content: Array("{\"body\":\"hi\"}".utf8))
        _ = try await first.shards.actor(for: "447700900123").send(request)
        #expect(await status(first, "gBGtest2", to: "447700900123") == .accepted)
        await first.log.close()

        first = try await Node.build(configuration: configuration(directory, seed: 2), logger: Logger(label: "test"))
        try await waitFor(.read, first, "gBGtest2", to: "447700900123")
        #expect(await status(first, "gBGtest2", to: "447700900123") == .read)
        #expect(first.gateway.received(to: "447700900123").count == 1)
        await first.log.close()
    }
}
