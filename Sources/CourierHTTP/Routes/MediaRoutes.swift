import CourierCore
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /v1/media`, `GET` and `DELETE /v1/media/{media-id}` (api.md §8).
struct MediaRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.post("/v1/media") { request, _ -> Response in
            let store = try store()
            guard let contentType = request.headers[.contentType], !contentType.isEmpty else {
                throw APIError(1008, "Content-Type is required: the media's MIME type")
            }
            guard let mimeType = MediaPolicy.mimeType(contentType) else {
                throw APIError(1009, "Content-Type '\(contentType)' is not a MIME type (type/subtype)")
            }
            let kind = MediaPolicy.kind(of: mimeType)
            let id = MediaPolicy.newID(random: dependencies.randomID())
            do {
                _ = try await store.store(id: id, mimeType: mimeType, body: request.body, limit: kind.maximumBytes)
            } catch let error as MediaStoreError where error == .tooLarge {
                throw APIError(1009, "\(kind.rawValue) media (\(mimeType)) is limited to \(kind.maximumBytes) bytes", status: .contentTooLarge)
            } catch let error as MediaStoreError where error == .empty {
                throw APIError(1008, "the request body (the media's bytes) is empty")
            } catch let error as MediaStoreError {
                dependencies.logger.error("media upload failed", metadata: ["error": "\(error)"])
                throw APIError(1014, "the media could not be stored", status: .serviceUnavailable)
            }
            return APIResponse.json(.created, ["media": [["id": .string(id)]]])
        }
        router.get("/v1/media/{id}") { _, context -> Response in
            let store = try store()
            let id = context.parameters.get("id") ?? ""
            // Unknown id: 404 with an empty body, as the original answered.
            guard let file = try await store.file(id: id) else { return Response(status: .notFound) }
            var headers = HTTPFields()
            headers[.contentType] = file.info.mimeType
            headers[.contentLength] = String(file.info.size)
            let body = try await FileIO().loadFile(path: file.path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        }
        router.delete("/v1/media/{id}") { _, context -> Response in
            let store = try store()
            let id = context.parameters.get("id") ?? ""
            guard try await store.delete(id: id) else { throw APIError(1006, "no media with id \(id)") }
            return APIResponse.json(.ok, [:])
        }
    }

    private func store() throws -> MediaStore {
        guard let store = dependencies.media else { throw APIError(1011, "the media volume is not configured on this node") }
        return store
    }
}
