import CourierCore
@testable import CourierGateway
import Logging
import Synchronization
import Testing

/// `POST /gateway/inbound`'s checks and the injection into a node (api.md §16).
@Suite struct GatewayInboundTests {
    func problem(_ body: JSONValue) -> APIProblem? {
        do {
            _ = try InboundValidation.validate(body)
            return nil
        } catch {
            return error.problems.first
        }
    }

    @Test func badInputNamesTheSpecsCodes() {
        #expect(problem(["type": "text", "text": ["body": "x"]])?.code == 1008)
        #expect(problem(["from": "12", "text": ["body": "x"]])?.code == 1013)
        #expect(problem(["from": "16315551000", "type": "sticker_pack"])?.code == 1009)
        #expect(problem(["from": "16315551000", "type": "text"])?.code == 1008)
        #expect(problem(["from": "16315551000", "text": ["body": ""]])?.code == 1009)
        #expect(problem(["from": "16315551000", "type": "location", "location": ["latitude": "x", "longitude": 1]])?.code == 1009)
        #expect(problem(["from": "16315551000", "type": "contacts", "contacts": ["name": "x"]])?.code == 1009)
        #expect(problem(["from": "16315551000", "text": ["body": "x"], "name": 5])?.code == 1009)
        #expect(problem("not an object")?.code == 1009)
        #expect(problem(["from": "+1 631-555-1000", "text": ["body": "x"]]) == nil)
        #expect(problem(["from": "16315551000", "type": "unknown"]) == nil)
    }

    @Test func mediaKeepWhatTheCallbackShows() throws {
        let request = try InboundValidation.validate(
            ["from": "16315551000", "type": "image", "image": ["data": "aGk=", "caption": "look"]])
        #expect(request.content == ["caption": "look", "mime_type": "image/jpeg"])
    }

    @Test func injectionHandsAReceiptWithAnIDNamingTheSendersShard() async throws {
        var configuration = GatewayConfiguration()
        configuration.seed = 9
        let gateway = GatewaySimulator(configuration: configuration, clock: { Timestamp(microseconds: 5_000_000) }, logger: Logger(label: "test"))
        await #expect(throws: GatewayUnavailable.self) {
            _ = try await gateway.inbound.inject(["from": "16315551000", "text": ["body": "hi"]])
        }
        let received = Mutex<[ReceiptEvent]>([])
        gateway.inbound.onMessage { receipt in received.withLock { $0.append(receipt) } }
        let id = try await gateway.inbound.inject(
            ["from": "+1 631 555 1000", "name": "Ana", "text": ["body": "hi"], "context": ["from": "16315550000", "id": "gBGx"]])
        let receipt = try #require(received.withLock { $0.first })
        #expect(receipt.messageID == id && id.hasPrefix("ABG"))
        #expect(MessageID.embeddedHash(id) == ShardHash.fnv1a64("16315551000"))
        #expect(receipt.from == "16315551000" && receipt.profileName == "Ana" && receipt.contextID == "gBGx")
        #expect(receipt.content == Array(#"{"body":"hi"}"#.utf8))
        #expect(receipt.networkTimestamp == Timestamp(microseconds: 5_000_000))
        gateway.inbound.receiveReadReceipt(messageID: id, to: "16315551000")
        #expect(gateway.inbound.readReceipts() == [GatewayInbound.ReadReceipt(messageID: id, to: "16315551000")])
    }
}
