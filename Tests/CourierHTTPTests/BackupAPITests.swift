import CourierCore
import CourierHTTP
import CourierTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `POST /v1/settings/backup` and `/restore` (api.md §10), with the real `BackupCipher`.
@Suite struct BackupAPITests {
    static let settingsPath = "/v1/settings/application"
    static let backupPassword = "backup-pass-1"

    @Test func restoreBringsBackSettingsAndUsersAndRevokesTokens() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            var admin = try await client.adminAuthorization()
            let patch = try await client.execute(
                uri: Self.settingsPath, method: .patch, headers: jsonHeaders.with(admin),
                body: jsonBody(#"{"webhooks":{"url":"https://hooks.example.com/a"},"heartbeat_interval":7}"#))
            #expect(patch.status == .ok)
            let alice = try await client.createUser("alice", "Al1ce!pass", admin: admin)
            let before = try await client.execute(uri: Self.settingsPath, method: .get, headers: admin).json

            let blob = try await Self.backup(client, admin: admin)
            // Only hashes travel: the blob is encrypted, and no password is inside the document either.
            let document = await harness.control!.backupDocument()
            #expect(document.users.map(\.username) == ["admin", "alice"])
            #expect(!String(decoding: document.serialized(), as: UTF8.self).contains("Al1ce!pass"))

            // Change everything after the backup.
            _ = try await client.execute(
                uri: Self.settingsPath, method: .patch, headers: jsonHeaders.with(admin),
                body: jsonBody(#"{"webhooks":{"url":"https://hooks.example.com/b"},"sent_status":false}"#))
            let deleted = try await client.execute(uri: "/v1/users/alice", method: .delete, headers: admin)
            #expect(deleted.status == .ok)
            _ = try await client.createUser("bobby", "B0bby!pass", admin: admin)
            #expect(try await client.login("alice", "Al1ce!pass").status == .unauthorized)

            let restore = try await Self.restore(client, admin: admin, password: Self.backupPassword, data: blob)
            #expect(restore.status == .ok)
            #expect(restore.json == ["meta": ["api_status": "stable", "version": "v2.45.1"]])

            // Every token was revoked: log in again.
            let stale = try await client.execute(uri: Self.settingsPath, method: .get, headers: admin)
            #expect(stale.status == .unauthorized)
            let staleAlice = try await client.execute(uri: "/v1/users/alice", method: .get, headers: alice)
            #expect(staleAlice.status == .unauthorized)
            admin = try await client.bearer("admin", APIHarness.adminPassword)
            let after = try await client.execute(uri: Self.settingsPath, method: .get, headers: admin).json
            #expect(after == before)
            #expect(after?["settings"]?["application"]?["webhooks"]?["url"] == "https://hooks.example.com/a")
            #expect(try await client.login("alice", "Al1ce!pass").status == .ok)
            // Users the backup does not hold are deleted.
            #expect(try await client.login("bobby", "B0bby!pass").status == .unauthorized)
        }
        // The restore is in the control stream: a restart replays it.
        let restarted = APIHarness(controlStorage: harness.controlStorage, clock: harness.clock)
        try await restarted.run { client in
            let admin = try await client.bearer("admin", APIHarness.adminPassword)
            let settings = try await client.execute(uri: Self.settingsPath, method: .get, headers: admin).json
            #expect(settings?["settings"]?["application"]?["heartbeat_interval"] == 7)
            #expect(try await client.login("alice", "Al1ce!pass").status == .ok)
        }
    }

    @Test func wrongPasswordOrDamagedDataChangesNothing() async throws {
        let harness = APIHarness()
        try await harness.run { client in
            let admin = try await client.adminAuthorization()
            let blob = try await Self.backup(client, admin: admin)
            _ = try await client.createUser("carol", "C4rol!pass", admin: admin)
            let records = harness.controlStorage.allRecords.count
            let bytes = try #require(Data(base64Encoded: blob))

            var tampered = Array(bytes)
            tampered[tampered.count / 2] ^= 0x01
            var foreign = Array(bytes)
            foreign[0] = UInt8(ascii: "X")
            let attempts: [(String, String)] = [
                ("wrong password", Self.restoreBody(password: "not-the-password", data: blob)),
                ("tampered", Self.restoreBody(password: Self.backupPassword, data: Data(tampered).base64EncodedString())),
                ("truncated", Self.restoreBody(password: Self.backupPassword, data: Data(bytes.prefix(40)).base64EncodedString())),
                ("not a backup", Self.restoreBody(password: Self.backupPassword, data: Data(foreign).base64EncodedString())),
                ("not base64", Self.restoreBody(password: Self.backupPassword, data: "%%%")),
            ]
            for (label, body) in attempts {
                let response = try await client.execute(
                    uri: "/v1/settings/restore", method: .post, headers: jsonHeaders.with(admin), body: jsonBody(body))
                #expect(response.status == .badRequest, "\(label)")
                #expect(response.errorCode == 1009, "\(label)")
                #expect(response.errorDetails?.hasPrefix("backup could not be decrypted") == true, "\(label)")
            }
            #expect(harness.controlStorage.allRecords.count == records)
            // The admin's token still works and carol still exists.
            #expect(try await client.execute(uri: "/v1/users/carol", method: .get, headers: admin).status == .ok)
        }
    }

    @Test func passwordIsRequiredAndChecked() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            for uri in ["/v1/settings/backup", "/v1/settings/restore"] {
                let missing = try await client.execute(
                    uri: uri, method: .post, headers: jsonHeaders.with(admin), body: jsonBody(#"{"data":"AAAA"}"#))
                #expect(missing.status == .badRequest)
                #expect(missing.errorCode == 1008)
                for password in ["short", String(repeating: "x", count: 65)] {
                    let response = try await client.execute(
                        uri: uri, method: .post, headers: jsonHeaders.with(admin),
                        body: jsonBody(Self.restoreBody(password: password, data: "AAAA")))
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode == 1009)
                }
            }
            let noData = try await client.execute(
                uri: "/v1/settings/restore", method: .post, headers: jsonHeaders.with(admin),
                body: jsonBody(#"{"password":"long-enough"}"#))
            #expect(noData.status == .badRequest)
            #expect(noData.errorCode == 1008)
        }
    }

    @Test func onlyTheAdminMayBackUpOrRestore() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let user = try await client.createUser("dave1", "D4ve!pass", admin: admin)
            let blob = try await Self.backup(client, admin: admin)
            for uri in ["/v1/settings/backup", "/v1/settings/restore"] {
                let response = try await client.execute(
                    uri: uri, method: .post, headers: jsonHeaders.with(user),
                    body: jsonBody(Self.restoreBody(password: Self.backupPassword, data: blob)))
                #expect(response.status == .forbidden)
                #expect(response.errorCode == 1005)
                let anonymous = try await client.execute(
                    uri: uri, method: .post, headers: jsonHeaders,
                    body: jsonBody(Self.restoreBody(password: Self.backupPassword, data: blob)))
                #expect(anonymous.status == .unauthorized)
            }
        }
    }

    static func restoreBody(password: String, data: String) -> String {
        JSONValue.object(["password": .string(password), "data": .string(data)]).serializedString
    }

    static func backup(_ client: some TestClientProtocol, admin: HTTPFields) async throws -> String {
        let response = try await client.execute(
            uri: "/v1/settings/backup", method: .post, headers: jsonHeaders.with(admin),
            body: jsonBody(JSONValue.object(["password": .string(backupPassword)]).serializedString))
        #expect(response.status == .ok)
        #expect(response.json?["meta"] == ["api_status": "stable", "version": "v2.45.1"])
        return try #require(response.json?["settings"]?["data"]?.stringValue, "no settings.data in the backup response")
    }

    static func restore(
        _ client: some TestClientProtocol, admin: HTTPFields, password: String, data: String
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/settings/restore", method: .post, headers: jsonHeaders.with(admin),
            body: jsonBody(restoreBody(password: password, data: data)))
    }
}
