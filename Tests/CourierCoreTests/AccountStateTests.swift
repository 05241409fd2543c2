import CourierCore
import Testing

extension ControlDriver {
    /// Runs an account command as the actor does: its events become records, applied in order.
    mutating func run(_ command: AccountCommand) throws -> AccountReply {
        let (events, reply) = state.handle(command, now: now)
        for event in events {
            let record = Record(
                shard: Record.controlShard, seq: UInt64(records.count + 1), epoch: 1, timestamp: now, kind: event.kind,
                payload: event.encodedPayload())
            try state.apply(record)
            records.append(record)
        }
        return reply
    }
}

/// `account-change` (kind 9) and the account part of `ControlState`: decided purely, folded on replay.
@Suite struct AccountStateTests {
    @Test func payloadsRoundTripAndNeverHoldACode() throws {
        for action in AccountChangeEvent.Action.allCases {
            let event = AccountChangeEvent(
                action: action, cc: "44", phoneNumber: "7700900123", method: "voice", vname: "Acme",
                pinHash: action == .twoStepSet ? "$test$ab$cd" : nil)
            let decoded = try #require(try Event.decode(kind: .accountChange, payload: Event.accountChange(event).encodedPayload()))
            #expect(decoded == .accountChange(event))
            #expect(decoded.kind == .accountChange)
            if action == .twoStepSet {
                #expect(decoded.json["pin_hash"] == "***")
                #expect(!decoded.summary.contains("$test$"))
            }
        }
        var truncated = AccountChangeEvent(action: .verified, cc: "1", phoneNumber: "6315551000").encoded()
        truncated.removeLast()
        #expect(throws: RecordError.self) { try AccountChangeEvent(decoding: truncated) }
    }

    @Test func registrationIsFoldedAndReplayedTheSameWay() throws {
        var driver = ControlDriver()
        #expect(try driver.run(.verified(waID: "16315551000")) == .rejected(.noPendingRequest))
        let request = AccountCommand.requestCode(cc: "1", phoneNumber: "6315551000", method: "sms", vname: "Acme", pinVerified: false)
        #expect(try driver.run(request) == .codeRequested(vname: "Acme"))
        #expect(driver.state.account.pending?.waID == "16315551000")
        #expect(driver.state.account.registration == nil)
        #expect(try driver.run(.verified(waID: "16315551000")) == .done)
        #expect(driver.state.account.registration?.vname == "Acme")
        #expect(driver.state.account.pending == nil)
        #expect(driver.state.applicationSettings["wa_id"] == "16315551000")
        #expect(try driver.run(request) == .alreadyRegistered)

        var replayed = ControlState()
        for record in driver.records { try replayed.apply(record) }
        #expect(replayed == driver.state)
    }

    @Test func codesExpireAfterTenMinutes() throws {
        var driver = ControlDriver()
        _ = try driver.run(.requestCode(cc: "1", phoneNumber: "6315551000", method: "sms", vname: "Acme", pinVerified: false))
        driver.now = driver.now.advanced(by: .seconds(600))
        #expect(try driver.run(.verified(waID: "16315551000")) == .rejected(.noPendingRequest))
        #expect(driver.state.account.registration == nil)
    }

    @Test func twoStepPINsGuardTheirNumber() throws {
        var driver = ControlDriver()
        #expect(try driver.run(.setTwoStep(pinHash: "h1")) == .rejected(.notRegistered))
        _ = try driver.run(.requestCode(cc: "1", phoneNumber: "6315551000", method: "sms", vname: "A", pinVerified: false))
        _ = try driver.run(.verified(waID: "16315551000"))
        #expect(try driver.run(.setTwoStep(pinHash: "h1")) == .done)
        #expect(driver.state.account.twoStepPINs == ["16315551000": "h1"])
        let again = AccountCommand.requestCode(cc: "1", phoneNumber: "6315551000", method: "sms", vname: "A", pinVerified: false)
        #expect(try driver.run(again) == .rejected(.pinRequired))
        #expect(try driver.run(.clearTwoStep) == .done)
        #expect(driver.state.account.twoStepPINs.isEmpty)
        #expect(try driver.run(again) == .alreadyRegistered)
    }

    @Test func backupCarriesTheAccountAndRestoreBringsItBack() throws {
        var driver = ControlDriver()
        _ = try driver.run(.bootstrap(adminPasswordHash: "$test$00$11"))
        _ = try driver.run(.requestCode(cc: "44", phoneNumber: "7700900123", method: "voice", vname: "Acme", pinVerified: false))
        _ = try driver.run(.verified(waID: "447700900123"))
        _ = try driver.run(.setTwoStep(pinHash: "pin-hash"))
        let backup = BackupDocument(driver.state)
        let parsed = try BackupDocument(parsing: backup.serialized())
        #expect(parsed == backup)
        #expect(parsed.account?.registration?.vname == "Acme")
        #expect(parsed.account?.twoStepPINs == ["447700900123": "pin-hash"])

        var fresh = ControlDriver()
        _ = try fresh.run(.bootstrap(adminPasswordHash: "$test$00$11"))
        #expect(try fresh.run(.restore(parsed)) == .done)
        #expect(fresh.state.account.registration?.waID == "447700900123")
        #expect(fresh.state.account.twoStepPINs == ["447700900123": "pin-hash"])
        // A backup without account data leaves the account alone.
        let old = BackupDocument(settings: backup.settings, users: backup.users)
        #expect(try BackupDocument(parsing: old.serialized()).account == nil)
        #expect(try fresh.run(.restore(old)) == .done)
        #expect(fresh.state.account.registration?.waID == "447700900123")
    }

    @Test(arguments: [
        (#"{"cc":"1","phone_number":"6315551000","method":"sms","cert":"c"}"#, true),
        (#"{"cc":"1","phone_number":"6315551000","method":"sms","cert":""}"#, false),
        (#"{"cc":"","phone_number":"6315551000","method":"sms","cert":"c"}"#, false),
        (#"{"cc":"1","phone_number":"123","method":"sms","cert":"c"}"#, false),
        (#"{"cc":"1","phone_number":"6315551000","method":"sms","cert":"c","pin":"123456"}"#, true),
    ])
    func codeRequestRules(body: String, valid: Bool) throws {
        let result = AccountValidation.validateCodeRequest(try JSONParser.parse(Array(body.utf8)))
        if case .success = result { #expect(valid) } else { #expect(!valid) }
    }

    @Test func codesMayCarryADash() {
        #expect(AccountValidation.code("123456") == "123456")
        #expect(AccountValidation.code("123-456") == "123456")
        #expect(AccountValidation.code("12-3456") == nil)
        #expect(AccountValidation.code("1234567") == nil)
    }
}
