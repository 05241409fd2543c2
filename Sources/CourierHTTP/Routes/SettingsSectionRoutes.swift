import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

/// The stored settings of api.md §9.2–§9.3 (admin only): media providers, profile about and photo,
/// business profile and compliance info. Each change answers once its `settings-change` is durable.
struct SettingsSectionRoutes {
    let dependencies: APIDependencies

    static let providersPath = "/v1/settings/application/media/providers"

    func register(admins: some RouterMethods<CourierRequestContext>) {
        admins.get(RouterPath(Self.providersPath)) { _, _ -> Response in
            let section = await (try dependencies.requireControl()).section(SettingsChangeEvent.mediaProvidersSection)
            let providers = section.map(SettingsSections.maskedProviders)?["providers"] ?? .array([])
            return APIResponse.json(.ok, ["settings": ["application": ["media": ["providers": providers]]]])
        }
        admins.post(RouterPath(Self.providersPath)) { request, _ -> Response in
            let body = try await json(request)
            let providers = try validated(SettingsSections.providers(body))
            try await edit(SettingsChangeEvent.mediaProvidersSection, .upsertByName(key: "providers", items: providers))
            return APIResponse.json(.ok, [:])
        }
        admins.delete(RouterPath(Self.providersPath + "/{name}")) { _, context -> Response in
            let name = context.parameters.get("name") ?? ""
            try await edit(SettingsChangeEvent.mediaProvidersSection, .removeByName(key: "providers", name: name))
            return APIResponse.json(.ok, [:])
        }

        admins.get("/v1/settings/profile/about") { _, _ -> Response in
            let section = await (try dependencies.requireControl()).section(SettingsChangeEvent.profileAboutSection)
            return APIResponse.json(.ok, ["settings": ["profile": ["about": ["text": section?["text"] ?? ""]]]])
        }
        admins.patch("/v1/settings/profile/about") { request, _ -> Response in
            let about = try validated(SettingsSections.about(try await json(request)))
            try await edit(SettingsChangeEvent.profileAboutSection, .replace(.object(about)))
            return APIResponse.json(.ok, [:])
        }

        admins.get("/v1/settings/profile/photo") { request, context -> Response in
            let control = try dependencies.requireControl()
            guard let photo = await control.section(SettingsChangeEvent.profilePhotoSection),
                let id = photo["media_id"]?.stringValue, let media = dependencies.media, let file = try await media.file(id: id)
            else { throw APIError(1006, "no profile photo is set") }
            if request.uri.queryParameters.get("format") == "link" {
                return APIResponse.json(.ok, ["settings": ["profile": ["photo": ["link": "/v1/settings/profile/photo"]]]])
            }
            var headers = HTTPFields()
            headers[.contentType] = file.info.mimeType
            headers[.contentLength] = String(file.info.size)
            return Response(status: .ok, headers: headers, body: try await FileIO().loadFile(path: file.path, context: context))
        }
        admins.post("/v1/settings/profile/photo") { request, _ -> Response in
            guard let media = dependencies.media else { throw APIError(1011, "the media volume is not configured on this node") }
            let control = try dependencies.requireControl()
            let mimeType = request.headers[.contentType].flatMap(MediaPolicy.mimeType)
            guard let mimeType, mimeType == "image/jpeg" || mimeType == "image/png" else {
                throw APIError(1009, "the profile photo must be image/jpeg or image/png")
            }
            let id = MediaPolicy.newID(random: dependencies.randomID())
            let info: MediaInfo
            do {
                info = try await media.store(id: id, mimeType: mimeType, body: request.body, limit: MediaPolicy.Kind.image.maximumBytes)
            } catch let error as MediaStoreError where error == .tooLarge {
                throw APIError(1009, "the profile photo is limited to \(MediaPolicy.Kind.image.maximumBytes) bytes", status: .contentTooLarge)
            } catch let error as MediaStoreError where error == .empty {
                throw APIError(1008, "the request body (the photo) is empty")
            }
            let previous = await control.section(SettingsChangeEvent.profilePhotoSection)?["media_id"]?.stringValue
            let value: JSONValue = [
                "media_id": .string(id), "mime_type": .string(info.mimeType), "size": .integer(Int64(info.size)),
                "sha256": .string(info.sha256),
            ]
            do {
                try await edit(SettingsChangeEvent.profilePhotoSection, .replace(value))
            } catch {
                _ = try? await media.delete(id: id)
                throw error
            }
            if let previous, previous != id { _ = try? await media.delete(id: previous) }
            return APIResponse.json(.ok, [:])
        }

        admins.get("/v1/settings/business/profile") { _, _ -> Response in
            let section = await (try dependencies.requireControl()).section(SettingsChangeEvent.businessProfileSection)
            return APIResponse.json(.ok, ["settings": ["business": ["profile": section ?? .object(JSONObject())]]])
        }
        admins.post("/v1/settings/business/profile") { request, _ -> Response in
            let profile = try validated(SettingsSections.businessProfile(try await json(request)))
            try await edit(SettingsChangeEvent.businessProfileSection, .merge(profile))
            return APIResponse.json(.ok, [:])
        }
        admins.get("/v1/settings/business/compliance_info") { _, _ -> Response in
            let section = await (try dependencies.requireControl()).section(SettingsChangeEvent.complianceInfoSection)
            return APIResponse.json(.ok, ["settings": ["business": ["compliance_info": section ?? .object(JSONObject())]]])
        }
        admins.post("/v1/settings/business/compliance_info") { request, _ -> Response in
            let info = try validated(SettingsSections.complianceInfo(try await json(request)))
            try await edit(SettingsChangeEvent.complianceInfoSection, .replace(info))
            return APIResponse.json(.ok, [:])
        }
    }

    private func json(_ request: Request) async throws -> JSONValue {
        var request = request
        return try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes)
    }

    private func validated<Value>(_ result: Result<Value, ValidationFailure>) throws -> Value {
        switch result {
        case .success(let value): return value
        case .failure(let failure): throw APIError(failure)
        }
    }

    private func edit(_ section: String, _ edit: SectionEdit) async throws {
        let control = try dependencies.requireControl()
        try UserRoutes.check(try await UserRoutes.perform { try await control.editSection(section, edit) })
    }
}
