import CourierCore
import HTTPTypes
import Hummingbird

/// `GET /v1/health` (api.md §5), single-node shape. Bearer or Apikey (the router's authenticator).
struct HealthRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.get("/v1/health") { _, _ -> Response in
            APIResponse.json(.ok, ["health": ["gateway_status": .string(dependencies.gatewayStatus())]])
        }
    }
}
