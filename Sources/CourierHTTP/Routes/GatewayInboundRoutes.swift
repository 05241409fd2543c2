import CourierCore
import CourierShards
import Hummingbird

/// `POST /gateway/inbound` (api.md §16): the simulated network delivers a user's message. Unauthenticated,
/// for development and tests; answers `{"id"}` once the `receipt` event is durable on the sender's shard.
struct GatewayInboundRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.post("/gateway/inbound") { request, _ -> Response in
            var request = request
            let body = try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes)
            guard let inject = dependencies.injectInbound else {
                throw APIError(1011, "no simulated network is embedded in this node")
            }
            let id: String
            do {
                id = try await inject(body)
            } catch let failure as ValidationFailure {
                throw APIError(failure)
            } catch let error as ShardError {
                throw MessageRoutes.apiError(error)
            }
            return APIResponse.json(.ok, ["id": .string(id)])
        }
    }
}
