import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

/// `PUT /v1/services/media/gc` (api.md §11.2), admin only: starts media GC, or joins the run in progress.
struct MediaGCRoutes {
    let dependencies: APIDependencies

    func register(admins: some RouterMethods<CourierRequestContext>) {
        admins.put("/v1/services/media/gc") { _, _ -> Response in
            guard let collector = dependencies.mediaCollector else { throw APIError(1011, "the media volume is not configured on this node") }
            await collector.start()
            let node = dependencies.nodeKey
            return APIResponse.json(.ok, ["services": ["media": ["gc": [node: ["status": "processing"]]]]])
        }
    }
}
