import CourierCore
import Testing

@Suite struct JSONTests {
    @Test func parsesAndSerializesDocuments() throws {
        let text = #"{"a":[1,-2,3.5,true,false,null],"b":{"c":"d\"\\\n\u00e9\ud83d\ude00"},"e":""}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(value["a"] == [1, -2, .double(3.5), true, false, .null])
        #expect(value["b"]?["c"] == .string("d\"\\\né😀"))
        let again = try JSONParser.parse(value.serialized())
        #expect(again == value)
    }

    @Test func rejectsMalformedInput() {
        for bad in ["", "{", "{\"a\"}", "[1,]", "01", "1.", "\"\\x\"", "\"\\ud800\"", "tru", "{} x", "\"\u{01}\"", "[" + String(repeating: "[", count: 100)] {
            #expect(throws: JSONParser.Error.self, "\(bad)") { try JSONParser.parse(Array(bad.utf8)) }
        }
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func keepsKeyOrderAndLastDuplicateWins() throws {
        let value = try JSONParser.parse(Array(#"{"z":1,"a":2,"z":3}"#.utf8))
        #expect(value["z"] == 3)
        #expect(value.objectValue?.keys == ["z", "a", "z"])
    }
}
