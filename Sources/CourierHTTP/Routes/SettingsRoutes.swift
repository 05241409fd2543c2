import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

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
    }
}
