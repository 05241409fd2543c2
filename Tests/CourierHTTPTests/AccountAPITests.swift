import CourierCore
import CourierGateway
import CourierHTTP
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// Registration (api.md §4), two-step verification (§9.3), shard count (§4.3–4.4), contact identity (§7.2) and
/// the gateway's control endpoints (§16), through the HTTP surface with the simulated network.
@Suite struct AccountAPITests {
    static let number = #"{"cc":"1","phone_number":"6315551000","method":"sms","cert":"any-cert"}"#

    static func harness(
        strictCerts: Bool = false, controlStorage: InMemoryLogStorage = InMemoryLogStorage(), clock: ManualClock = ManualClock(),
        unknownSuffix: String? = nil
    ) -> APIHarness {
        var harness = APIHarness(controlStorage: controlStorage, clock: clock)
        var configuration = GatewayConfiguration()
        configuration.seed = 7
        configuration.strictCertificates = strictCerts
        configuration.unknownSuffix = unknownSuffix
        harness.gateway = GatewaySimulator(configuration: configuration, clock: clock.function, logger: Logger(label: "test.gateway"))
        return harness
    }

    @Test func registrationFlowEndsUnregisteredAndSurvivesARestart() async throws {
        let clock = ManualClock()
        let controlStorage = InMemoryLogStorage()
        try await Self.harness(controlStorage: controlStorage, clock: clock).run { client in
            let auth = try await client.adminAuthorization()
            #expect(try await client.health(auth) == "unregistered")
            let requested = try await client.post("/v1/account", Self.number, auth)
            #expect(requested.status == .accepted)
            #expect(requested.json?["account"] == [["vname": "Courier Business"]])
            let codes = try await client.execute(uri: "/gateway/codes", method: .get)
            #expect(codes.status == .ok)
            let entry = try #require(codes.json?.arrayValue?.first)
            #expect(entry["cc"] == "1" && entry["phone_number"] == "6315551000" && entry["method"] == "sms")
            let code = try #require(entry["code"]?.stringValue)
            #expect(code.count == 6)
            // The code itself is never logged; the request and verification are.
            let dashed = String(code.prefix(3)) + "-" + String(code.suffix(3))
            let verified = try await client.post("/v1/account/verify", #"{"code":"\#(dashed)"}"#, auth)
            #expect(verified.status == .created)
            #expect(try await client.health(auth) == "connected")
            #expect(try await client.execute(uri: "/gateway/codes", method: .get).json == [])
            // The same number again: already registered.
            #expect(try await client.post("/v1/account", Self.number, auth).status == .created)
            let settings = try await client.execute(uri: "/v1/settings/application", method: .get, headers: auth)
            #expect(settings.json?["settings"]?["application"]?["wa_id"] == "16315551000")
            let payloads = controlStorage.allRecords.filter { $0.kind == .accountChange }.map(\.payload)
            #expect(payloads.count == 2)
            #expect(!payloads.contains { $0.containsSubsequence(Array(code.utf8)) })
        }
        // Restart: the registration is replayed from the control stream.
        try await Self.harness(controlStorage: controlStorage, clock: clock).run { client in
            let auth = try await client.bearer("admin", APIHarness.adminPassword)
            #expect(try await client.health(auth) == "connected")
        }
    }

    @Test func wrongCodesAndExpiredCodesAreRefused() async throws {
        let clock = ManualClock()
        try await Self.harness(clock: clock).run { client in
            let auth = try await client.adminAuthorization()
            let none = try await client.post("/v1/account/verify", #"{"code":"123456"}"#, auth)
            #expect(none.status == .badRequest && none.errorCode == 1009)
            #expect(try await client.post("/v1/account/verify", #"{"code":"12a456"}"#, auth).errorCode == 1009)
            #expect(try await client.post("/v1/account/verify", #"{}"#, auth).errorCode == 1008)
            #expect(try await client.post("/v1/account", Self.number, auth).status == .accepted)
            let code = try await client.pendingCode()
            let wrong = code == "000000" ? "000001" : "000000"
            for _ in 0..<4 {
                let answer = try await client.post("/v1/account/verify", #"{"code":"\#(wrong)"}"#, auth)
                #expect(answer.status == .badRequest && answer.errorCode == 1009)
            }
            let fifth = try await client.post("/v1/account/verify", #"{"code":"\#(wrong)"}"#, auth)
            #expect(fifth.status == .tooManyRequests && fifth.errorCode == 1015)
            // The request is gone: even the right code fails now.
            #expect(try await client.post("/v1/account/verify", #"{"code":"\#(code)"}"#, auth).errorCode == 1009)
            // A new code expires after 10 minutes (the injected clock).
            #expect(try await client.post("/v1/account", Self.number, auth).status == .accepted)
            let second = try await client.pendingCode()
            clock.advance(microseconds: 601_000_000)
            let late = try await client.post("/v1/account/verify", #"{"code":"\#(second)"}"#, auth)
            #expect(late.status == .badRequest && late.errorCode == 1009)
            #expect(try await client.health(auth) == "unregistered")
        }
    }

    @Test(arguments: [
        (#"{"phone_number":"6315551000","method":"sms","cert":"c"}"#, Int64(1008)),
        (#"{"cc":"1","phone_number":"6315551000","method":"fax","cert":"c"}"#, 1009),
        (#"{"cc":"1234","phone_number":"6315551000","method":"sms","cert":"c"}"#, 1009),
        (#"{"cc":"1","phone_number":"63a","method":"sms","cert":"c"}"#, 1009),
        (#"{"cc":"123","phone_number":"6315551000123","method":"sms","cert":"c"}"#, 1009),
        (#"{"cc":"1","phone_number":"6315551000","method":"sms"}"#, 1008),
        (#"{"cc":"1","phone_number":"6315551000","method":"sms","cert":"c","pin":"12"}"#, 1009),
        (#"[1]"#, 1009),
    ])
    func badRegistrationBodies(body: String, code: Int64) async throws {
        try await Self.harness().run { client in
            let auth = try await client.adminAuthorization()
            let answer = try await client.post("/v1/account", body, auth)
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == code)
        }
    }

    @Test func strictCertificatesMustBeSignedCurrentAndForTheNumber() async throws {
        try await Self.harness(strictCerts: true).run { client in
            let auth = try await client.adminAuthorization()
            let bad = try await client.post("/v1/account", Self.number, auth)
            #expect(bad.status == .badRequest && bad.errorCode == 1005)
            #expect(bad.errorDetails == "verified name certificate is not valid")
            let other = try await client.certificate(cc: "1", number: "6315559999", vname: "Acme Support", days: 30)
            #expect(try await client.post("/v1/account", Self.body(cert: other), auth).errorCode == 1005)
            let expired = try await client.certificate(cc: "1", number: "6315551000", vname: "Acme Support", days: -1)
            #expect(try await client.post("/v1/account", Self.body(cert: expired), auth).errorCode == 1005)
            var tampered = try await client.certificate(cc: "1", number: "6315551000", vname: "Acme Support", days: 30)
            tampered.removeLast()
            #expect(try await client.post("/v1/account", Self.body(cert: tampered), auth).errorCode == 1005)
            let good = try await client.certificate(cc: "1", number: "6315551000", vname: "Acme Support", days: 30)
            let answer = try await client.post("/v1/account", Self.body(cert: good), auth)
            #expect(answer.status == .accepted)
            #expect(answer.json?["account"] == [["vname": "Acme Support"]])
            let missing = try await client.execute(uri: "/gateway/certs", method: .post, headers: jsonHeaders, body: jsonBody(#"{"cc":"1"}"#))
            #expect(missing.status == .badRequest && missing.errorCode == 1008)
        }
    }

    @Test func anOfflineGatewayAnswers503() async throws {
        let harness = Self.harness()
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            #expect(try await client.execute(uri: "/gateway/offline", method: .post).json == ["status": "disconnected"])
            let answer = try await client.post("/v1/account", Self.number, auth)
            #expect(answer.status == .serviceUnavailable && answer.errorCode == 1011)
            #expect(try await client.execute(uri: "/gateway/online", method: .post).json == ["status": "connected"])
            #expect(try await client.post("/v1/account", Self.number, auth).status == .accepted)
        }
        try await APIHarness().run { client in
            let auth = try await client.adminAuthorization()
            #expect(try await client.post("/v1/account", Self.number, auth).errorCode == 1011)
        }
    }

    @Test func twoStepPINGuardsTheNumber() async throws {
        try await Self.harness().run { client in
            let auth = try await client.adminAuthorization()
            let early = try await client.post("/v1/settings/account/two-step", #"{"pin":"123456"}"#, auth)
            #expect(early.status == .forbidden && early.errorCode == 1011)
            try await client.register(auth)
            #expect(try await client.post("/v1/settings/account/two-step", #"{"pin":"12345"}"#, auth).errorCode == 1009)
            #expect(try await client.post("/v1/settings/account/two-step", #"{}"#, auth).errorCode == 1008)
            #expect(try await client.post("/v1/settings/account/two-step", #"{"pin":"123456"}"#, auth).status == .ok)
            let noPIN = try await client.post("/v1/account", Self.number, auth)
            #expect(noPIN.status == .forbidden && noPIN.errorCode == 1005)
            let wrongPIN = try await client.post("/v1/account", Self.body(cert: "c", pin: "654321"), auth)
            #expect(wrongPIN.status == .forbidden && wrongPIN.errorCode == 1005)
            #expect(try await client.post("/v1/account", Self.body(cert: "c", pin: "123456"), auth).status == .created)
            #expect(try await client.execute(uri: "/v1/settings/account/two-step", method: .delete, headers: auth).status == .ok)
            #expect(try await client.post("/v1/account", Self.number, auth).status == .created)
            let user = try await client.createUser("ops1", "Str0ng!pass", admin: auth)
            #expect(try await client.post("/v1/settings/account/two-step", #"{"pin":"123456"}"#, user).status == .forbidden)
        }
    }

    @Test func shardCountIsReadAndGuarded() async throws {
        try await Self.harness().run { client in
            let auth = try await client.adminAuthorization()
            let current = try await client.execute(uri: "/v1/account/shards", method: .get, headers: auth)
            #expect(current.status == .ok && current.json?["account"] == ["shards": 1])
            let unregistered = try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":1}"#, auth)
            #expect(unregistered.status == .forbidden && unregistered.errorCode == 1011)
            try await client.register(auth)
            #expect(try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":3}"#, auth).errorCode == 1009)
            #expect(try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000"}"#, auth).errorCode == 1008)
            #expect(try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315559999","shards":1}"#, auth).errorCode == 1009)
            let same = try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":"1"}"#, auth)
            #expect(same.status == .created)
            // Another count changes it online (ReshardEndToEndTests covers the data).
            let change = try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":2}"#, auth)
            #expect(change.status == .created)
            #expect(try await client.execute(uri: "/v1/account/shards", method: .get, headers: auth).json?["account"] == ["shards": 2])
            #expect(try await client.post("/v1/settings/account/two-step", #"{"pin":"123456"}"#, auth).status == .ok)
            let noPIN = try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":1}"#, auth)
            #expect(noPIN.status == .forbidden && noPIN.errorCode == 1005)
            let withPIN = #"{"cc":"1","phone_number":"6315551000","shards":1,"pin":"123456"}"#
            #expect(try await client.post("/v1/account/shards", withPIN, auth).status == .created)
        }
    }

    @Test func shardRequestsValidateACertificateWhenPresent() async throws {
        try await Self.harness(strictCerts: true).run { client in
            let auth = try await client.adminAuthorization()
            let cert = try await client.certificate(cc: "1", number: "6315551000", vname: "Acme", days: 30)
            #expect(try await client.post("/v1/account", Self.body(cert: cert), auth).status == .accepted)
            let code = try await client.pendingCode()
            #expect(try await client.post("/v1/account/verify", #"{"code":"\#(code)"}"#, auth).status == .created)
            let bad = try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":1,"cert":"forged"}"#, auth)
            #expect(bad.status == .badRequest && bad.errorCode == 1005)
            let good = #"{"cc":"1","phone_number":"6315551000","shards":1,"cert":"\#(cert)"}"#
            #expect(try await client.post("/v1/account/shards", good, auth).status == .created)
            // Without a certificate [D7].
            #expect(try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":1}"#, auth).status == .created)
        }
    }

    @Test func contactIdentityFollowsTheGateway() async throws {
        try await Self.harness(unknownSuffix: "999").run { client in
            let auth = try await client.adminAuthorization()
            let first = try await client.execute(uri: "/v1/contacts/16315551000/identity", method: .get, headers: auth)
            #expect(first.status == .ok)
            let identity = try #require(first.json?["identity"]?.arrayValue?.first)
            let hash = try #require(identity["hash"]?.stringValue)
            #expect(!hash.isEmpty)
            #expect(identity["created_at"]?.objectValue == nil && identity["created_at"] != nil)
            let unknown = try await client.execute(uri: "/v1/contacts/16315550999/identity", method: .get, headers: auth)
            #expect(unknown.status == .notFound && unknown.errorCode == 1006)
            #expect(try await client.execute(uri: "/v1/contacts/abc/identity", method: .get, headers: auth).status == .notFound)
            let put = { (body: String) in
                try await client.execute(uri: "/v1/contacts/16315551000/identity", method: .put, headers: jsonHeaders.with(auth), body: jsonBody(body))
            }
            #expect(try await put(#"{"hash":"\#(hash)"}"#).status == .ok)
            #expect(try await put(#"{"hash":"nope"}"#).errorCode == 1009)
            #expect(try await put(#"{}"#).errorCode == 1008)
            let changed = try await client.execute(uri: "/gateway/users/16315551000/identity-change", method: .post)
            #expect(changed.status == .ok)
            let newHash = try #require(changed.json?["identity"]?["hash"]?.stringValue)
            #expect(newHash != hash)
            #expect(try await put(#"{"hash":"\#(hash)"}"#).errorCode == 1009)
            #expect(try await put(#"{"hash":"\#(newHash)"}"#).status == .ok)
            #expect(try await client.execute(uri: "/v1/contacts/16315551000/identity", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/gateway/users/16315550999/identity-change", method: .post).status == .notFound)
        }
    }

    @Test func gatewayControlEndpoints() async throws {
        let harness = Self.harness()
        try await harness.run { client in
            let templates = try await client.execute(uri: "/gateway/templates", method: .get)
            #expect(templates.status == .ok)
            #expect((templates.json?.arrayValue?.count ?? 0) >= 3)
            let added = try await client.execute(
                uri: "/gateway/templates", method: .post, headers: jsonHeaders,
                body: jsonBody(#"{"name":"shipping","language":"en","components":[{"type":"BODY","text":"Hi {{1}}"}]}"#))
            #expect(added.status == .created)
            let names = try await client.execute(uri: "/gateway/templates", method: .get).json?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(names?.contains("shipping") == true)
            #expect(try await client.execute(uri: "/gateway/templates", method: .post, headers: jsonHeaders, body: jsonBody(#"{"name":"x"}"#)).errorCode == 1008)
            harness.gateway?.dispatch(messageID: "gBGm1", to: "16315551000")
            let messages = try await client.execute(uri: "/gateway/messages?to=16315551000", method: .get)
            #expect(messages.json?.arrayValue?.first?["id"] == "gBGm1")
            #expect(try await client.execute(uri: "/gateway/messages?to=1999", method: .get).json == [])
            #expect(try await client.execute(uri: "/gateway/users/16315551000/delete/gBGm1", method: .post).status == .ok)
            #expect(try await client.execute(uri: "/gateway/users/16315551000/delete/gBGnope", method: .post).status == .notFound)
            let wrongMethod = try await client.execute(uri: "/gateway/codes", method: .post)
            #expect(wrongMethod.status == .methodNotAllowed)
        }
    }

    @Test func anotherNumberReplacesTheRegistrationOnceVerified() async throws {
        try await Self.harness().run { client in
            let auth = try await client.adminAuthorization()
            try await client.register(auth)
            let other = #"{"cc":"44","phone_number":"7700900123","method":"voice","cert":"c"}"#
            #expect(try await client.post("/v1/account", other, auth).status == .accepted)
            // Pending: the old number stays registered.
            #expect(try await client.health(auth) == "connected")
            #expect(try await client.post("/v1/account", Self.number, auth).status == .created)
            let code = try await client.pendingCode()
            #expect(try await client.post("/v1/account/verify", #"{"code":"\#(code)"}"#, auth).status == .created)
            let settings = try await client.execute(uri: "/v1/settings/application", method: .get, headers: auth)
            #expect(settings.json?["settings"]?["application"]?["wa_id"] == "447700900123")
            #expect(try await client.post("/v1/account", other, auth).status == .created)
            #expect(try await client.post("/v1/account/shards", #"{"cc":"1","phone_number":"6315551000","shards":1}"#, auth).errorCode == 1009)
        }
    }

    @Test func backupAndRestoreCarryTheRegistrationAndPIN() async throws {
        let saved = Mutex("")
        try await Self.harness().run { client in
            let auth = try await client.adminAuthorization()
            try await client.register(auth)
            #expect(try await client.post("/v1/settings/account/two-step", #"{"pin":"246810"}"#, auth).status == .ok)
            let blob = try await BackupAPITests.backup(client, admin: auth)
            saved.withLock { $0 = blob }
        }
        let fresh = Self.harness()
        try await fresh.run { client in
            var auth = try await client.adminAuthorization()
            let blob = saved.withLock { $0 }
            #expect(try await client.health(auth) == "unregistered")
            #expect(try await BackupAPITests.restore(client, admin: auth, password: BackupAPITests.backupPassword, data: blob).status == .ok)
            auth = try await client.bearer("admin", APIHarness.adminPassword)
            #expect(try await client.health(auth) == "connected")
            #expect(try await client.post("/v1/account", Self.number, auth).errorCode == 1005)
            #expect(try await client.post("/v1/account", Self.body(cert: "c", pin: "246810"), auth).status == .created)
        }
        let hashes = await fresh.control!.account.twoStepPINs.values
        #expect(hashes.count == 1 && !hashes.contains("246810"))
    }

    static func body(cert: String, pin: String? = nil) -> String {
        let pinField = pin.map { #","pin":"\#($0)""# } ?? ""
        return #"{"cc":"1","phone_number":"6315551000","method":"voice","cert":"\#(cert)"\#(pinField)}"#
    }
}

extension TestClientProtocol {
    func post(_ uri: String, _ body: String, _ auth: HTTPFields) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: jsonHeaders.with(auth), body: jsonBody(body))
    }

    func health(_ auth: HTTPFields) async throws -> String? {
        try await execute(uri: "/v1/health", method: .get, headers: auth).json?["health"]?["gateway_status"]?.stringValue
    }

    func pendingCode() async throws -> String {
        let codes = try await execute(uri: "/gateway/codes", method: .get)
        return try #require(codes.json?.arrayValue?.last?["code"]?.stringValue)
    }

    func certificate(cc: String, number: String, vname: String, days: Int) async throws -> String {
        let body = #"{"cc":"\#(cc)","phone_number":"\#(number)","vname":"\#(vname)","valid_days":\#(days)}"#
        let answer = try await execute(uri: "/gateway/certs", method: .post, headers: jsonHeaders, body: jsonBody(body))
        return try #require(answer.json?["cert"]?.stringValue)
    }

    /// Registers 1 631-555-1000 through the gateway.
    func register(_ auth: HTTPFields) async throws {
        #expect(try await post("/v1/account", AccountAPITests.number, auth).status == .accepted)
        let code = try await pendingCode()
        #expect(try await post("/v1/account/verify", #"{"code":"\#(code)"}"#, auth).status == .created)
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
    }
}
