import CourierCore
import CourierGateway
import Logging
import Synchronization
import Testing

@Suite struct GatewayTests {
    @Test func plansAreDeterministicPerSeedAndFollowTheOptions() {
        var configuration = GatewayConfiguration()
        configuration.readRatio = 0.5
        configuration.seed = 42
        let first = (0..<200).map { ReceiptPlan.plan(messageID: "m\($0)", to: "16315551000", configuration: configuration) }
        let again = (0..<200).map { ReceiptPlan.plan(messageID: "m\($0)", to: "16315551000", configuration: configuration) }
        #expect(first == again)
        let read = first.filter { $0.steps.last?.status == .read }.count
        #expect((70...130).contains(read), "read ratio 0.5 gave \(read) of 200")
        #expect(first.allSatisfy { Array($0.steps.prefix(2).map(\.status)) == [.sent, .delivered] })
        configuration.seed = 43
        #expect((0..<200).map { ReceiptPlan.plan(messageID: "m\($0)", to: "16315551000", configuration: configuration) } != first)
    }

    @Test func directoryFollowsTheUnknownSuffix() {
        var configuration = GatewayConfiguration()
        #expect(GatewaySimulator(configuration: configuration, clock: { .zero }, logger: Logger(label: "t")).isOnNetwork("16315550999"))
        configuration.unknownSuffix = "999"
        let gateway = GatewaySimulator(configuration: configuration, clock: { .zero }, logger: Logger(label: "t"))
        #expect(!gateway.isOnNetwork("16315550999"))
        #expect(gateway.isOnNetwork("16315551000"))
    }

    @Test func unknownNumbersFailWith1013() {
        var configuration = GatewayConfiguration()
        configuration.unknownSuffix = "999"
        let plan = ReceiptPlan.plan(messageID: "m", to: "16315550999", configuration: configuration)
        #expect(plan.steps.map(\.status) == [.failed])
        #expect(plan.steps.first?.errorCode == 1013)
    }

    @Test func dispatchEmitsReceiptsInOrderOnceAndQueuesWhileOffline() async throws {
        let receipts = Mutex<[GatewaySimulator.Receipt]>([])
        var configuration = GatewayConfiguration()
        configuration.sentDelay = .zero
        configuration.deliveredDelay = .zero
        configuration.readDelay = .zero
        let gateway = GatewaySimulator(configuration: configuration, clock: { .zero }, sleep: { _ in }, logger: Logger(label: "test"))
        gateway.onReceipts { batch in receipts.withLock { $0 += batch } }
        gateway.dispatch(messageID: "m1", to: "16315551000")
        gateway.dispatch(messageID: "m1", to: "16315551000")
        for _ in 0..<1000 where receipts.withLock({ $0.count }) < 3 { await Task.yield() }
        #expect(receipts.withLock { $0.map(\.status) } == [.sent, .delivered, .read])
        #expect(gateway.received().map(\.messageID) == ["m1"])

        gateway.setOnline(false)
        #expect(gateway.status == "disconnected")
        // Health (api.md §5): `connecting` until the session has been lost for the threshold, then `disconnected`.
        #expect(gateway.healthStatus(connectingFor: .seconds(30)) == "connecting")
        #expect(gateway.healthStatus(connectingFor: .zero) == "disconnected")
        #expect(gateway.sessionLostFor != nil)
        gateway.dispatch(messageID: "m2", to: "447700900123")
        for _ in 0..<100 { await Task.yield() }
        #expect(receipts.withLock { $0.count } == 3)
        gateway.setOnline(true)
        #expect(gateway.healthStatus(connectingFor: .zero) == "connected")
        #expect(gateway.sessionLostFor == nil)
        for _ in 0..<1000 where receipts.withLock({ $0.count }) < 6 { await Task.yield() }
        #expect(receipts.withLock { $0.filter { $0.messageID == "m2" }.map(\.status) } == [.sent, .delivered, .read])
        #expect(gateway.received(to: "447700900123").count == 1)
    }
}
