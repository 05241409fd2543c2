import CourierCore
import CourierHTTP
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@Suite struct LoginAPITests {
    @Test func firstLoginMustChangeTheDefaultAdminPassword() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let required = try await client.login("admin", "secret")
            #expect(required.status == .unauthorized)
            #expect(required.errorCode == 1024)
            #expect(required.json?["errors"]?.arrayValue?.first?["title"] == "Password Change Required")
            #expect(required.json?["users"] == nil)

            let weak = try await client.login("admin", "secret", newPassword: "password")
            #expect(weak.status == .badRequest)
            #expect(weak.errorCode == 1009)
            #expect(weak.errorDetails == "new_password: password must contain a digit")

            let response = try await client.login("admin", "secret", newPassword: APIHarness.adminPassword)
            #expect(response.status == .ok)
            let user = try #require(response.json?["users"]?.arrayValue?.first)
            #expect(user["token"]?.stringValue?.count == 43)
            let expiry = harness.clock.now.advanced(by: .seconds(7 * 86_400)).apiDateTime
            #expect(user["expires_after"]?.stringValue == expiry)
            #expect(expiry.hasSuffix("+00:00") && expiry.count == 25)
            #expect(response.json?["meta"] == ["api_status": "stable", "version": "v2.45.1"])

            // The default password is gone; the new one needs no change.
            #expect(try await client.login("admin", "secret").errorCode == 1005)
            #expect(try await client.login("admin", APIHarness.adminPassword).status == .ok)
            let same = try await client.login("admin", APIHarness.adminPassword, newPassword: APIHarness.adminPassword)
            #expect(same.errorCode == 1009)
            #expect(same.errorDetails == "new_password must differ from the current password")
        }
    }

    @Test func badCredentialsAre401WithAChallengeAndNeverEchoed() async throws {
        try await APIHarness().run { client in
            _ = try await client.adminAuthorization()
            let wrong = try await client.login("admin", "Wr0ng!secret-value")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.errorCode == 1005)
            #expect(wrong.headers[.wwwAuthenticate] == #"Basic realm="Courier""#)
            #expect(!String(buffer: wrong.body).contains("Wr0ng"))
            #expect(try await client.login("nobody", "Wr0ng!secret").errorCode == 1005)

            let cases: [HTTPFields] = [
                [:], [.authorization: "Basic"], [.authorization: "Basic !!!notbase64"],
                [.authorization: "Basic " + Base64Text.encode(Array("no-colon".utf8))],
                [.authorization: "Bearer abc"],
            ]
            for headers in cases {
                let response = try await client.execute(uri: "/v1/users/login", method: .post, headers: headers)
                #expect(response.status == .unauthorized, "\(headers)")
                #expect(response.errorCode == 1005)
                #expect(response.headers[.wwwAuthenticate] != nil)
            }
            // Scheme names are case-insensitive.
            let lower = try await client.execute(
                uri: "/v1/users/login",
                method: .post,
                headers: [.authorization: "basic " + Base64Text.encode(Array("admin:\(APIHarness.adminPassword)".utf8))]
            )
            #expect(lower.status == .ok)
        }
    }

    @Test func loginBodyIsOptionalButMustBeWellFormed() async throws {
        try await APIHarness().run { client in
            let credentials: HTTPFields = [.authorization: basic("admin", "secret")]
            for (body, code) in [
                (#"{"new_password":7}"#, Int64(1009)), ("[]", 1009), ("{nope", 1025), (#"{"other":1}"#, 1024),
            ] {
                let response = try await client.execute(
                    uri: "/v1/users/login",
                    method: .post,
                    headers: credentials.with(jsonHeaders),
                    body: jsonBody(body)
                )
                #expect(response.errorCode == code, "\(body)")
            }
        }
    }

    @Test func tenFailuresLockThePairOutWith429() async throws {
        try await APIHarness().run { client in
            _ = try await client.adminAuthorization()
            for _ in 0..<10 { #expect(try await client.login("admin", "nope").errorCode == 1005) }
            let blocked = try await client.login("admin", APIHarness.adminPassword)
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.errorCode == 1015)
            #expect(blocked.headers[.retryAfter] == "300")
            // Other usernames from the same address are not blocked.
            #expect(try await client.login("other", "nope").errorCode == 1005)
        }
    }

    @Test func logoutRevokesOnlyThePresentedToken() async throws {
        try await APIHarness().run { client in
            let first = try await client.adminAuthorization()
            let second = try await client.bearer("admin", APIHarness.adminPassword)
            let response = try await client.execute(uri: "/v1/users/logout", method: .post, headers: first)
            #expect(response.status == .ok)
            #expect(response.json == ["meta": ["api_status": "stable", "version": "v2.45.1"]])
            #expect(try await client.execute(uri: "/v1/health", method: .get, headers: first).errorCode == 1005)
            #expect(try await client.execute(uri: "/v1/health", method: .get, headers: second).status == .ok)
            #expect(
                try await client.execute(uri: "/v1/users/logout", method: .post, headers: first).status == .unauthorized
            )
            #expect(try await client.execute(uri: "/v1/users/logout", method: .post).status == .unauthorized)
        }
    }
}

@Suite struct BearerAPITests {
    @Test func everyEndpointButLoginNeedsAValidBearerToken() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            let send = jsonBody(#"{"to":"16315551000","text":{"body":"x"}}"#)
            let protected: [(String, HTTPRequest.Method, ByteBuffer?)] = [
                ("/v1/health", .get, nil), ("/v1/messages", .post, send), ("/v1/users/logout", .post, nil),
                ("/v1/users", .post, jsonBody(#"{"username":"ops1","password":"Str0ng!pass"}"#)),
                ("/v1/users/admin", .get, nil), ("/v1/users/admin", .put, jsonBody(#"{"password":"Str0ng!pass"}"#)),
                ("/v1/users/ops1", .delete, nil),
            ]
            let bad: [HTTPFields] = [
                [:], [.authorization: "Bearer"], [.authorization: "Bearer not-a-token"], [.authorization: "Token abc"],
                [.authorization: basic("admin", APIHarness.adminPassword)],
                [.authorization: "Bearer " + String(repeating: "a", count: 600)],
            ]
            for (uri, method, body) in protected {
                for headers in bad {
                    let response = try await client.execute(
                        uri: uri,
                        method: method,
                        headers: headers.with(jsonHeaders),
                        body: body
                    )
                    #expect(response.status == .unauthorized, "\(method) \(uri) \(headers)")
                    #expect(response.errorCode == 1005)
                    #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="Courier""#)
                }
            }
            #expect(harness.storage.allRecords.isEmpty)
            // Scheme names are case-insensitive.
            let token = try #require(auth[.authorization]?.dropFirst("Bearer ".count))
            #expect(
                try await client.execute(uri: "/v1/health", method: .get, headers: [.authorization: "bEaReR  \(token)"])
                    .status == .ok
            )
        }
    }

    @Test func tokensExpireAfterSevenDays() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            harness.clock.advance(microseconds: 7 * 86_400 * 1_000_000 - 1)
            #expect(try await client.execute(uri: "/v1/health", method: .get, headers: auth).status == .ok)
            harness.clock.advance(microseconds: 1)
            let expired = try await client.execute(uri: "/v1/health", method: .get, headers: auth)
            #expect(expired.status == .unauthorized)
            #expect(expired.errorCode == 1005)
        }
    }

    @Test func unknownPathsAndWrongMethodsNeedNoCredentials() async throws {
        try await APIHarness().run { client in
            #expect(try await client.execute(uri: "/v1/nothing-here", method: .get).errorCode == 1006)
            let wrong = try await client.execute(uri: "/v1/users", method: .get)
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "POST")
            #expect(try await client.execute(uri: "/v1/users/logout", method: .get).status != .ok)
        }
    }

    @Test func anAPIKeyOpensHealthOnlyAndOnlyWhenConfigured() async throws {
        var configuration = APIConfiguration()
        configuration.apiKey = "k3y-0123456789abcdef"
        try await APIHarness(configuration: configuration).run { client in
            let health = try await client.execute(
                uri: "/v1/health",
                method: .get,
                headers: [.authorization: "Apikey k3y-0123456789abcdef"]
            )
            #expect(health.status == .ok)
            #expect(health.json?["health"] == ["gateway_status": "unregistered"])  // no number registered yet (api.md §5)
            #expect(
                try await client.execute(
                    uri: "/v1/health",
                    method: .get,
                    headers: [.authorization: "APIKEY k3y-0123456789abcdef"]
                ).status == .ok
            )
            let wrong = try await client.execute(
                uri: "/v1/health",
                method: .get,
                headers: [.authorization: "Apikey k3y-wrong"]
            )
            #expect(wrong.status == .unauthorized)
            #expect(wrong.errorCode == 1005)
            let send = try await client.execute(
                uri: "/v1/messages",
                method: .post,
                headers: jsonHeaders.with([.authorization: "Apikey k3y-0123456789abcdef"]),
                body: jsonBody(#"{"to":"16315551000","text":{"body":"x"}}"#)
            )
            #expect(send.status == .unauthorized)
            let users = try await client.execute(
                uri: "/v1/users/admin",
                method: .get,
                headers: [.authorization: "Apikey k3y-0123456789abcdef"]
            )
            #expect(users.status == .unauthorized)
        }
        try await APIHarness().run { client in
            let response = try await client.execute(
                uri: "/v1/health",
                method: .get,
                headers: [.authorization: "Apikey anything-at-all"]
            )
            #expect(response.status == .unauthorized)
        }
    }

    @Test func apiKeysMustBe12To128Characters() {
        #expect(APIConfiguration.apiKeyProblem("k3y-0123456789abcdef") == nil)
        #expect(APIConfiguration.apiKeyProblem("short") == "WA_API_KEY must be 12 to 128 characters long (it has 5)")
        #expect(APIConfiguration.apiKeyProblem(String(repeating: "k", count: 129)) != nil)
    }

    @Test func withoutAControlActorEverythingAuthenticatedIs503() async throws {
        try await APIHarness(withControl: false).run { client in
            for (uri, method) in [
                ("/v1/health", HTTPRequest.Method.get), ("/v1/messages", .post), ("/v1/users/login", .post),
                ("/v1/users/x", .get),
            ] {
                let response = try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer x"])
                #expect(response.status == .serviceUnavailable, "\(uri)")
                #expect(response.errorCode == 1011)
            }
        }
    }
}

@Suite struct UserManagementAPITests {
    @Test func adminCreatesUsersAndDuplicatesAre409() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let admin = try await client.adminAuthorization()
            let body = jsonBody(#"{"username":"ops1","password":"Str0ng!pass"}"#)
            let created = try await client.execute(
                uri: "/v1/users",
                method: .post,
                headers: jsonHeaders.with(admin),
                body: body
            )
            #expect(created.status == .created)
            #expect(
                created.json == [
                    "users": [["username": "ops1"]], "meta": ["api_status": "stable", "version": "v2.45.1"],
                ]
            )
            let duplicate = try await client.execute(
                uri: "/v1/users",
                method: .post,
                headers: jsonHeaders.with(admin),
                body: body
            )
            #expect(duplicate.status == .conflict)
            #expect(duplicate.errorCode == 1004)
            #expect(duplicate.errorDetails == "Unable to create user. Already exist?")
            // New users are never forced to change their password.
            let ops = try await client.bearer("ops1", "Str0ng!pass")
            let forbidden = try await client.execute(
                uri: "/v1/users",
                method: .post,
                headers: jsonHeaders.with(ops),
                body: jsonBody(#"{"username":"ops2","password":"Str0ng!pass"}"#)
            )
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.errorCode == 1005)
            #expect(harness.storage.allRecords.isEmpty)
        }
    }

    @Test(arguments: [
        (#"{}"#, [Int64(1008), 1008]),
        (#"{"username":"ops1"}"#, [1008]),
        (#"{"username":7,"password":"Str0ng!pass"}"#, [1009]),
        (#"{"username":"abc","password":"Str0ng!pass"}"#, [1009]),
        (#"{"username":"has space","password":"weak"}"#, [1009, 1009]),
        (#"{"username":"ops1","password":"nouppercase1!"}"#, [1009]),
        (#""#, [1008]),
        (#"[]"#, [1009]),
    ])
    func invalidNewUsersAre400(body: String, codes: [Int64]) async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let response = try await client.execute(
                uri: "/v1/users",
                method: .post,
                headers: jsonHeaders.with(admin),
                body: jsonBody(body)
            )
            #expect(response.status == .badRequest)
            let got = response.json?["errors"]?.arrayValue?.compactMap { error -> Int64? in
                guard case .integer(let code)? = error["code"] else { return nil }
                return code
            }
            #expect(got == codes, "\(body)")
            #expect(!String(buffer: response.body).contains("Str0ng!pass"))
        }
    }

    @Test func usersReadThemselvesAndAdminReadsEveryone() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let ops1 = try await client.createUser("ops1", "Str0ng!pass", admin: admin)
            _ = try await client.createUser("ops2", "Str0ng!pass", admin: admin)
            let own = try await client.execute(uri: "/v1/users/ops1", method: .get, headers: ops1)
            #expect(own.status == .ok)
            #expect(own.json?["users"] == [["username": "ops1"]])
            #expect(try await client.execute(uri: "/v1/users/ops2", method: .get, headers: admin).status == .ok)
            let other = try await client.execute(uri: "/v1/users/ops2", method: .get, headers: ops1)
            #expect(other.status == .forbidden)
            #expect(other.errorCode == 1005)
            // A user learns nothing about names that are not its own.
            #expect(try await client.execute(uri: "/v1/users/ghost", method: .get, headers: ops1).status == .forbidden)
            let missing = try await client.execute(uri: "/v1/users/ghost", method: .get, headers: admin)
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == 1006)
        }
    }

    @Test func changingYourOwnPasswordKeepsTheCallingTokenOnly() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let calling = try await client.createUser("ops1", "Str0ng!pass", admin: admin)
            let other = try await client.bearer("ops1", "Str0ng!pass")
            let response = try await client.execute(
                uri: "/v1/users/ops1",
                method: .put,
                headers: jsonHeaders.with(calling),
                body: jsonBody(#"{"password":"N3w!password"}"#)
            )
            #expect(response.status == .ok)
            #expect(response.json?["users"] == [["username": "ops1"]])
            #expect(try await client.execute(uri: "/v1/health", method: .get, headers: calling).status == .ok)
            #expect(try await client.execute(uri: "/v1/health", method: .get, headers: other).status == .unauthorized)
            #expect(try await client.login("ops1", "Str0ng!pass").errorCode == 1005)
            #expect(try await client.login("ops1", "N3w!password").status == .ok)
            // Another user's password: 403 for users.
            let forbidden = try await client.execute(
                uri: "/v1/users/admin",
                method: .put,
                headers: jsonHeaders.with(calling),
                body: jsonBody(#"{"password":"N3w!password"}"#)
            )
            #expect(forbidden.status == .forbidden)
        }
    }

    @Test func adminChangingSomeoneElsesPasswordRevokesAllTheirTokens() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let ops = try await client.createUser("ops1", "Str0ng!pass", admin: admin)
            let put: (String, String) async throws -> TestResponse = { uri, body in
                try await client.execute(uri: uri, method: .put, headers: jsonHeaders.with(admin), body: jsonBody(body))
            }
            #expect(try await put("/v1/users/ops1", #"{"password":"N3w!password"}"#).status == .ok)
            #expect(try await client.execute(uri: "/v1/health", method: .get, headers: ops).status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/health", method: .get, headers: admin).status == .ok)
            #expect(try await put("/v1/users/ghost", #"{"password":"N3w!password"}"#).errorCode == 1006)
            #expect(try await put("/v1/users/ops1", #"{"password":"weak"}"#).errorCode == 1009)
            #expect(try await put("/v1/users/ops1", #"{}"#).errorCode == 1008)
            #expect(try await put("/v1/users/ops1", #"{"password":1}"#).errorCode == 1009)
        }
    }

    @Test func adminDeletesUsersAndTheirTokensButNotItself() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let ops = try await client.createUser("ops1", "Str0ng!pass", admin: admin)
            let byUser = try await client.execute(uri: "/v1/users/ops1", method: .delete, headers: ops)
            #expect(byUser.status == .forbidden)
            #expect(byUser.errorCode == 1005)
            let deleted = try await client.execute(uri: "/v1/users/ops1", method: .delete, headers: admin)
            #expect(deleted.status == .ok)
            #expect(deleted.json?["users"] == [["username": "ops1"]])
            #expect(try await client.execute(uri: "/v1/health", method: .get, headers: ops).status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/users/ops1", method: .get, headers: admin).status == .notFound)
            #expect(try await client.execute(uri: "/v1/users/ops1", method: .delete, headers: admin).errorCode == 1006)
            let itself = try await client.execute(uri: "/v1/users/admin", method: .delete, headers: admin)
            #expect(itself.status == .badRequest)
            #expect(itself.errorCode == 1009)
        }
    }

    @Test func usersAndTokensSurviveARestartOfTheControlActor() async throws {
        let harness = APIHarness()
        let admin = Mutex<HTTPFields>([:])
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            admin.withLock { $0 = auth }
            _ = try await client.createUser("ops1", "Str0ng!pass", admin: auth)
        }
        let restarted = APIHarness(controlStorage: harness.controlStorage, clock: harness.clock)
        let auth = admin.withLock { $0 }
        try await restarted.run { client async throws in
            #expect(try await client.execute(uri: "/v1/users/ops1", method: .get, headers: auth).status == .ok)
            #expect(try await client.login("ops1", "Str0ng!pass").status == .ok)
            #expect(try await client.login("admin", "secret").errorCode == 1005)
        }
    }
}
