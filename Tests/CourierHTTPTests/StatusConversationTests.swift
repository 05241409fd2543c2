@testable import CourierApp
import CourierCore
import Testing

/// The simulated network's `conversation` and `pricing` bytes are built from constants: they must be
/// exactly what serializing the objects gives, escapes included.
@Suite struct StatusConversationTests {
    @Test(arguments: ["c-1", "conv \"quoted\" \\ back\nslash", "ünï"])
    func conversationAndPricingMatchTheirJSONObjects(id: String) throws {
        var status = StatusEvent(messageID: "gBG1", waID: "16315551234", status: .sent, networkTimestamp: Timestamp(microseconds: 1))
        status.setBusinessInitiated(conversation: id)
        let conversation: JSONValue = ["id": .string(id), "origin": ["type": "business_initiated"]]
        let pricing: JSONValue = ["billable": true, "pricing_model": "CBP", "category": "business_initiated"]
        #expect(status.conversation == conversation.serialized())
        #expect(status.pricing == pricing.serialized())
        #expect(try JSONParser.parse(status.conversation)["id"]?.stringValue == id)
    }
}
