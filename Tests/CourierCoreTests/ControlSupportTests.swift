import CourierCore
import Testing

@Suite struct ControlEventTests {
    @Test func userAndTokenEventsRoundTripAndRejectDamage() throws {
        let events: [Event] = [
            .userChange(
                UserChangeEvent(
                    action: .created,
                    username: "admin",
                    passwordHash: "$scrypt$x",
                    passwordChangeRequired: true
                )
            ),
            .userChange(
                UserChangeEvent(
                    action: .passwordChanged,
                    username: "ops1",
                    passwordHash: "$scrypt$y",
                    keptTokenDigest: "ab12"
                )
            ),
            .userChange(UserChangeEvent(action: .deleted, username: "ops1")),
            .token(
                TokenEvent(
                    action: .issued,
                    tokenDigest: String(repeating: "a", count: 64),
                    username: "ops1",
                    expiresAt: Timestamp(microseconds: 7)
                )
            ),
            .token(
                TokenEvent(
                    action: .revoked,
                    tokenDigest: "ff",
                    username: "ops1",
                    expiresAt: Timestamp(microseconds: -7)
                )
            ),
        ]
        for event in events {
            #expect(try Event.decode(kind: event.kind, payload: event.encodedPayload()) == event)
            var truncated = event.encodedPayload()
            truncated.removeLast()
            #expect(throws: RecordError.self) { try Event.decode(kind: event.kind, payload: truncated) }
        }
        #expect(Event.userChange(UserChangeEvent(action: .deleted, username: "x")).kind == .userChange)
        #expect(
            Event.token(TokenEvent(action: .revoked, tokenDigest: "", username: "", expiresAt: .zero)).kind.rawValue
                == 11
        )
        var badAction = PayloadWriter(version: 1)
        badAction.write("renamed")
        #expect(throws: RecordError.self) { try UserChangeEvent(decoding: badAction.bytes) }
        #expect(throws: RecordError.self) { try TokenEvent(decoding: badAction.bytes) }
        #expect(throws: RecordError.self) { try TokenEvent(decoding: [2]) }
    }

    @Test func dumpNeverShowsThePasswordHash() {
        let change = Event.userChange(
            UserChangeEvent(
                action: .created,
                username: "admin",
                passwordHash: "$scrypt$secretish",
                passwordChangeRequired: true
            )
        )
        #expect(change.summary == "created user=admin password=*** change-required")
        #expect(!change.json.serializedString.contains("scrypt"))
        #expect(change.json["password_hash"] == "***")
        let token = Event.token(
            TokenEvent(
                action: .issued,
                tokenDigest: "0123456789abcdef",
                username: "ops1",
                expiresAt: Timestamp(microseconds: 1_795_370_701_000_000)
            )
        )
        #expect(token.summary == "issued token=01234567… user=ops1 expires=2026-11-22T18:05:01.000000Z")
        #expect(token.messageID == nil && token.waID == nil)
    }
}

@Suite struct LoginThrottleTests {
    let start = Timestamp(microseconds: 1_795_000_000_000_000)

    @Test func tenFailuresInFiveMinutesBlockThePairForFiveMinutes() {
        var throttle = LoginThrottle()
        for second in 0..<9 {
            throttle.recordFailure(username: "ops1", client: "10.0.0.1", now: start.advanced(by: .seconds(second * 10)))
        }
        #expect(
            throttle.retryAfterSeconds(username: "ops1", client: "10.0.0.1", now: start.advanced(by: .seconds(100)))
                == nil
        )
        let tenth = start.advanced(by: .seconds(100))
        throttle.recordFailure(username: "ops1", client: "10.0.0.1", now: tenth)
        #expect(throttle.retryAfterSeconds(username: "ops1", client: "10.0.0.1", now: tenth) == 300)
        #expect(
            throttle.retryAfterSeconds(
                username: "ops1",
                client: "10.0.0.1",
                now: tenth.advanced(by: .milliseconds(299_500))
            ) == 1
        )
        #expect(
            throttle.retryAfterSeconds(username: "ops1", client: "10.0.0.1", now: tenth.advanced(by: .seconds(300)))
                == nil
        )
        // Other pairs are unaffected.
        #expect(throttle.retryAfterSeconds(username: "ops1", client: "10.0.0.2", now: tenth) == nil)
        #expect(throttle.retryAfterSeconds(username: "ops2", client: "10.0.0.1", now: tenth) == nil)
    }

    @Test func failuresOlderThanTheWindowAndSuccessesReset() {
        var throttle = LoginThrottle()
        for minute in 0..<20 {
            // One failure every 40 s: never ten inside any five minutes.
            throttle.recordFailure(username: "u", client: "c", now: start.advanced(by: .seconds(minute * 40)))
            #expect(
                throttle.retryAfterSeconds(username: "u", client: "c", now: start.advanced(by: .seconds(minute * 40)))
                    == nil
            )
        }
        for _ in 0..<9 { throttle.recordFailure(username: "v", client: "c", now: start) }
        throttle.recordSuccess(username: "v", client: "c")
        throttle.recordFailure(username: "v", client: "c", now: start)
        #expect(throttle.retryAfterSeconds(username: "v", client: "c", now: start) == nil)
    }

    @Test func staleEntriesAreSweptAsTheTableGrows() {
        var throttle = LoginThrottle()
        for index in 0..<1023 { throttle.recordFailure(username: "u\(index)", client: "c", now: start) }
        #expect(throttle.trackedPairs == 1023)
        throttle.recordFailure(username: "late", client: "c", now: start.advanced(by: .seconds(301)))
        #expect(throttle.trackedPairs == 1)
    }
}

@Suite struct ControlFormatTests {
    @Test func expiresAfterFormat() {
        #expect(Timestamp(microseconds: 1_795_370_701_123_456).apiDateTime == "2026-11-22 18:05:01+00:00")
        #expect(
            Timestamp(microseconds: 0).advanced(by: .seconds(7 * 86_400)).apiDateTime == "1970-01-08 00:00:00+00:00"
        )
        #expect(Timestamp(microseconds: 0).secondsUntil(Timestamp(microseconds: 1)) == 1)
        #expect(Timestamp(microseconds: 5).secondsUntil(Timestamp(microseconds: 1)) == 0)
    }

    @Test(arguments: [
        ("ops1", true), ("a.b_c-d@e", true), (String(repeating: "x", count: 32), true),
        ("abc", false), (String(repeating: "x", count: 33), false), ("has space", false), ("naïve", false),
        ("a/b1", false),
    ])
    func usernames(name: String, valid: Bool) {
        #expect((UsernameRules.problem(name) == nil) == valid)
    }
}
