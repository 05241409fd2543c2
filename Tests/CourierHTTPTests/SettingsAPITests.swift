import CourierCore
import CourierHTTP
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct SettingsAPITests {
    static let path = "/v1/settings/application"

    @Test func getShowsEveryFieldWithItsDefault() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let response = try await client.execute(uri: Self.path, method: .get, headers: admin)
            #expect(response.status == .ok)
            #expect(response.json?["settings"] == ["application": .object(ApplicationSettings.defaults)])
            #expect(response.json?["meta"] == ["api_status": "stable", "version": "v2.45.1"])
            #expect(response.json?.objectValue?.keys == ["settings", "meta"])
        }
    }

    @Test func patchChangesOnlyTheGivenFieldsDurablyAndDeleteResets() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let admin = try await client.adminAuthorization()
            let records = harness.controlStorage.allRecords.count
            let patch = try await client.execute(
                uri: Self.path,
                method: .patch,
                headers: jsonHeaders.with(admin),
                body: jsonBody(
                    #"{"webhooks":{"url":"https://hooks.example.com/wa","message":{"read":"false"}},"sent_status":false,"callback_backoff_delay_ms":"5000"}"#
                )
            )
            #expect(patch.status == .ok)
            #expect(patch.json == ["meta": ["api_status": "stable", "version": "v2.45.1"]])
            #expect(harness.controlStorage.allRecords.count == records + 1)

            let settings = try await client.execute(uri: Self.path, method: .get, headers: admin).json?["settings"]?[
                "application"
            ]
            #expect(settings?["webhooks"]?["url"] == "https://hooks.example.com/wa")
            #expect(settings?["webhooks"]?["max_concurrent_requests"] == 6)
            #expect(settings?["webhooks"]?["message"] == ["sent": false, "delivered": true, "read": false])
            #expect(settings?["sent_status"] == false)
            #expect(settings?["callback_backoff_delay_ms"] == 5000)
            #expect(settings?["callback_persist"] == true)

            let reset = try await client.execute(uri: Self.path, method: .delete, headers: admin)
            #expect(reset.status == .ok)
            #expect(reset.json == ["meta": ["api_status": "stable", "version": "v2.45.1"]])
            let after = try await client.execute(uri: Self.path, method: .get, headers: admin)
            #expect(after.json?["settings"]?["application"] == .object(ApplicationSettings.defaults))
        }
        // A restart replays the settings from the control stream.
        let restarted = APIHarness(controlStorage: harness.controlStorage, clock: harness.clock)
        try await restarted.run { client in
            let admin = try await client.bearer("admin", APIHarness.adminPassword)
            let patch = try await client.execute(
                uri: Self.path, method: .patch, headers: jsonHeaders.with(admin),
                body: jsonBody(#"{"db_garbagecollector_enable":true}"#))
            #expect(patch.status == .ok)
        }
        let third = APIHarness(controlStorage: harness.controlStorage, clock: harness.clock)
        try await third.run { client in
            let admin = try await client.bearer("admin", APIHarness.adminPassword)
            let settings = try await client.execute(uri: Self.path, method: .get, headers: admin).json?["settings"]?[
                "application"
            ]
            #expect(settings?["db_garbagecollector_enable"] == true)
            #expect(settings?["webhooks"]?["url"] == "")
        }
    }

    @Test func invalidPatchesAre400WithTheSpecCodesAndChangeNothing() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let admin = try await client.adminAuthorization()
            let records = harness.controlStorage.allRecords.count
            for (body, code, details) in [
                (#"{"unknown":1}"#, Int64(1010), "unknown is not an application setting"),
                (#"{"pass_through":true}"#, 1009, "pass_through cannot be enabled"),
                (#"{"webhooks":{"max_concurrent_requests":0}}"#, 1009,
                    "webhooks.max_concurrent_requests must be between 1 and 100"),
                (#"{"webhooks":{"url":"ftp://x"}}"#, 1009, "webhooks.url must be an http or https URL"),
                (#"{"wa_id":"16505551234"}"#, 1009, "wa_id is read-only"),
                (#"{"heartbeat_interval":"soon"}"#, 1009, "heartbeat_interval must be an integer"),
                ("[]", 1009, "request body must be a JSON object"),
                ("{nope", 1025, nil),
            ] as [(String, Int64, String?)] {
                let response = try await client.execute(
                    uri: Self.path, method: .patch, headers: jsonHeaders.with(admin), body: jsonBody(body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorCode == code, "\(body)")
                if let details { #expect(response.errorDetails == details) }
            }
            let several = try await client.execute(
                uri: Self.path, method: .patch, headers: jsonHeaders.with(admin),
                body: jsonBody(#"{"a":1,"callback_persist":"maybe"}"#))
            #expect(several.json?["errors"]?.arrayValue?.count == 2)
            #expect(harness.controlStorage.allRecords.count == records)
        }
    }

    @Test func onlyTheAdminMayReadOrChangeSettings() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let ops = try await client.createUser("ops1", "Str0ng!pass", admin: admin)
            for method in [HTTPRequest.Method.get, .patch, .delete] {
                let response = try await client.execute(
                    uri: Self.path, method: method, headers: jsonHeaders.with(ops), body: jsonBody("{}"))
                #expect(response.status == .forbidden, "\(method)")
                #expect(response.errorCode == 1005)
                let anonymous = try await client.execute(uri: Self.path, method: method, headers: jsonHeaders)
                #expect(anonymous.status == .unauthorized)
            }
            let wrong = try await client.execute(uri: Self.path, method: .post, headers: admin)
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow]?.contains("PATCH") == true)
        }
    }
}
