import CourierCore
import HTTPTypes
import Hummingbird

/// `GET /v1/health` (api.md §5), single-node shape. Bearer or Apikey (the router's authenticator). `unregistered`
/// until a number is registered (§4).
struct HealthRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.get("/v1/health") { _, _ -> Response in
            let registered = await dependencies.control?.registration != nil
            let status = registered ? dependencies.gatewayStatus() : "unregistered"
            return APIResponse.json(.ok, ["health": ["gateway_status": .string(status)]])
        }
    }
}
