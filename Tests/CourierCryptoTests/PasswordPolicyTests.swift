import Testing

@testable import CourierCrypto

@Suite struct PasswordPolicyTests {
    @Test(arguments: [
        "Str0ng!pass",
        "Aa1!aaaa",  // exactly 8
        "Aa1!" + String(repeating: "x", count: 60),  // exactly 64
        "Aa1!éééé",  // non-ASCII letters count as one character each
        #"P4ss\word"#,
    ])
    func acceptsPasswordsThatFollowEveryRule(password: String) {
        #expect(PasswordPolicy.check(password) == nil)
    }

    @Test(arguments: [
        ("secret", "8 to 64 characters"),
        ("Aa1!aaa", "8 to 64 characters"),
        ("Aa1!" + String(repeating: "x", count: 61), "8 to 64 characters"),
        ("Strong!pass", "a digit"),
        ("Strong!pass٣", "a digit"),  // an Arabic-Indic digit is not an ASCII digit
        ("str0ng!pass", "an upper-case ASCII letter"),
        ("STR0NG!PASS", "a lower-case ASCII letter"),
        ("Str0ngpass", "a special character"),
        ("Str0ng pass", "a special character"),  // space is not in the list
        ("Str0ng€pass", "a special character"),
    ])
    func namesTheBrokenRule(password: String, rule: String) {
        let violation = PasswordPolicy.check(password)
        #expect(violation?.contains(rule) == true, "\(violation ?? "nil")")
    }

    @Test func acceptsEveryListedSpecialCharacter() {
        #expect(PasswordPolicy.specialCharacters.count == 32)
        for special in PasswordPolicy.specialCharacters {
            #expect(PasswordPolicy.check("Str0ngpass\(special)") == nil, "\(special)")
        }
    }

    @Test func reportsTheLengthRuleFirst() {
        #expect(PasswordPolicy.check("") == "password must be 8 to 64 characters long")
    }
}
