import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/v1/settings/application` (api.md §9.1), admin only. Changes answer once their `settings-change` event is
/// durable.
struct SettingsRoutes {
    let dependencies: APIDependencies

    func register(admins: some RouterMethods<CourierRequestContext>) {
        admins.get("/v1/settings/application") { _, _ -> Response in
            let control = try dependencies.requireControl()
            let settings = await control.applicationSettings()
            return APIResponse.json(.ok, ["settings": ["application": .object(settings)]])
        }
        admins.patch("/v1/settings/application") { request, _ -> Response in
            let control = try dependencies.requireControl()
            var request = request
            let body = try UserRoutes.object(try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes))
            try UserRoutes.check(try await UserRoutes.perform { try await control.patchApplicationSettings(body) })
            return APIResponse.json(.ok, [:])
        }
        admins.delete("/v1/settings/application") { _, _ -> Response in
            let control = try dependencies.requireControl()
            try UserRoutes.check(try await UserRoutes.perform { try await control.resetApplicationSettings() })
            return APIResponse.json(.ok, [:])
        }
        // api.md §10: the blob is standard base64 of BackupCipher's format.
        admins.post("/v1/settings/backup") { request, _ -> Response in
            let control = try dependencies.requireControl()
            var request = request
            let body = try UserRoutes.object(try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes))
            let password = try Self.backupPassword(body)
            let blob = try await UserRoutes.perform { try await control.backup(password: password) }
            return APIResponse.json(.ok, ["settings": ["data": .string(Data(blob).base64EncodedString())]])
        }
        admins.post("/v1/settings/restore") { request, _ -> Response in
            let control = try dependencies.requireControl()
            var request = request
            let body = try UserRoutes.object(try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes))
            let password = try Self.backupPassword(body)
            let data = try UserRoutes.requiredString(body, "data")
            guard let blob = Data(base64Encoded: data.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw APIError(1009, "backup could not be decrypted: data is not base64")
            }
            try UserRoutes.check(try await UserRoutes.perform { try await control.restore(blob: Array(blob), password: password) })
            return APIResponse.json(.ok, [:])
        }
    }

    /// api.md §10: `password` is required (400, 1008) and 8–64 characters (400, 1009).
    static func backupPassword(_ body: JSONObject) throws -> String {
        let password = try UserRoutes.requiredString(body, "password")
        guard (8...64).contains(password.count) else { throw APIError(1009, "password must be 8 to 64 characters") }
        return password
    }
}
