import CourierCore
import Logging

extension ControlActor {
    /// `GET /v1/settings/application` (api.md §9.1): every field, defaults merged with the stored changes.
    public func applicationSettings() -> JSONObject {
        state.applicationSettings
    }

    /// `PATCH /v1/settings/application`: validates the body as a whole, then appends one `settings-change`
    /// merge patch; replies once it is durable (and acknowledged), or with every problem found.
    public func patchApplicationSettings(_ body: JSONObject) async throws -> ControlReply {
        let reply = try await run(.patchApplicationSettings(body))
        if reply == .done {
            logger.info("application settings changed", metadata: ["settings.fields": "\(body.keys.joined(separator: ","))"])
        }
        return reply
    }

    /// `DELETE /v1/settings/application`: every field but `wa_id` back to its default, as a `reset` event.
    public func resetApplicationSettings() async throws -> ControlReply {
        let reply = try await run(.resetApplicationSettings)
        if reply == .done { logger.info("application settings reset to their defaults") }
        return reply
    }
}
