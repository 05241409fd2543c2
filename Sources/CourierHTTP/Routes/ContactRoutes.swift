import CourierCore
import HTTPTypes
import Hummingbird

/// `POST /v1/contacts` (api.md §7.1): one entry per input, in order, `input` echoed exactly; `valid`
/// with the `wa_id` when well-formed and on the network, `invalid` otherwise, `failed` while the
/// network is unreachable. The embedded network answers at once, so `processing` never occurs.
struct ContactRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.post("/v1/contacts") { request, _ -> Response in
            var request = request
            let body = try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes)
            let contacts: ContactsRequest
            switch ContactsValidation.validate(body) {
            case .success(let valid): contacts = valid
            case .failure(let failure): throw APIError(failure)
            }
            let reachable = dependencies.gatewayStatus() == "connected"
            let results: [JSONValue] = contacts.inputs.map { input in
                guard let waID = WaID.normalize(input), dependencies.isOnNetwork(waID) || !reachable else {
                    return ["input": .string(input), "status": "invalid"]
                }
                guard reachable else { return ["input": .string(input), "status": "failed"] }
                return ["input": .string(input), "wa_id": .string(waID), "status": "valid"]
            }
            return APIResponse.json(.ok, ["contacts": .array(results)])
        }
    }
}
