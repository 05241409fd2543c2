import CourierCore
import Testing

@Suite struct ValidationTests {
    @Test(arguments: [
        ("16315551000", "16315551000"), ("+1 631-555-1000", "16315551000"), ("1 (631) 555-1000", "16315551000"),
        ("0016315551000", "16315551000"), ("+44.7700.900123", "447700900123"), ("1234567", "1234567"),
    ])
    func normalizesPhoneNumbers(input: String, expected: String) {
        #expect(WaID.normalize(input) == expected)
    }

    @Test(arguments: ["", "123456", "1234567890123456", "+1+2345678", "12345a678", "1234567+", "00123456"])
    func rejectsInvalidNumbers(input: String) {
        #expect(WaID.normalize(input) == nil)
    }

    @Test func messageIDsEmbedTheShardHash() {
        let id = MessageID.outbound(to: "16315551000", random: (1, 2))
        #expect(id.hasPrefix("gBG"))
        #expect(id.count == 35)
        #expect(MessageID.embeddedHash(id) == ShardHash.fnv1a64("16315551000"))
        #expect(MessageID.embeddedHash("wamid.foreign") == nil)
        #expect(Base64URL.decode(Base64URL.encode([1, 2, 3, 4, 5])) == [1, 2, 3, 4, 5])
    }

    @Test func validTextSendIsAccepted() throws {
        let body: JSONValue = ["to": "+1 631 555 1000", "type": "text", "preview_url": "true", "text": ["body": "hi"]]
        let send = try SendValidation.validate(body).get()
        #expect(send.to == "16315551000")
        #expect(send.type == "text")
        #expect(try JSONParser.parse(send.content) == ["body": "hi"])
        #expect(try SendValidation.validate(["to": "16315551000", "text": ["body": "x"]]).get().type == "text")
    }

    @Test(arguments: [
        (JSONValue.array([]), 1009),
        (["text": ["body": "x"]], 1008),
        (["to": 5, "text": ["body": "x"]], 1009),
        (["to": "12", "text": ["body": "x"]], 1013),
        (["to": "16315551000", "recipient_type": "group", "text": ["body": "x"]], 1002),
        (["to": "16315551000", "type": "fax", "text": ["body": "x"]], 1009),
        (["to": "16315551000", "type": "text"], 1008),
        (["to": "16315551000", "text": ["body": ""]], 1009),
        (["to": "16315551000", "text": ["body": 3]], 1009),
        (["to": "16315551000", "text": ["body": .string(String(repeating: "é", count: 4097))]], 1001),
        (["to": "16315551000", "text": ["body": "x"], "image": ["id": "1"]], 1010),
        (["to": "16315551000", "type": "image", "preview_url": true, "image": ["id": "1"]], 1010),
        (["to": "16315551000", "preview_url": "maybe", "text": ["body": "x"]], 1009),
        (["to": "16315551000", "text": "x"], 1009),
    ] as [(JSONValue, Int)])
    func invalidSendsNameTheProblem(body: JSONValue, code: Int) {
        switch SendValidation.validate(body) {
        case .success: Issue.record("accepted \(body)")
        case .failure(let failure): #expect(failure.problems.first?.code == code, "\(failure.problems)")
        }
    }

    @Test func fourThousandNinetySixScalarsIsTheLimit() throws {
        let body: JSONValue = ["to": "16315551000", "text": ["body": .string(String(repeating: "😀", count: 4096))]]
        #expect((try? SendValidation.validate(body).get()) != nil)
    }
}
