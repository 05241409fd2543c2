import CourierCore
import HTTPTypes
import Hummingbird

/// `GET /v1/health` (api.md §5), single-node shape.
struct HealthRoutes {
    let dependencies: APIDependencies

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/health") { _, _ -> Response in
            APIResponse.json(.ok, ["health": ["gateway_status": .string(dependencies.gatewayStatus())]])
        }
    }
}
