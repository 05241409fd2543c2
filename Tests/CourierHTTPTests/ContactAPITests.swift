import CourierCore
import CourierHTTP
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct ContactAPITests {
    @Test func contactsAreCheckedInOrderWithInputsEchoed() async throws {
        var harness = APIHarness()
        harness.isOnNetwork = { !$0.hasSuffix("999") }
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            let body = jsonBody(#"{"contacts":["+1 631-555-1000","12ab","16315550999"],"blocking":"wait","force_check":"true"}"#)
            try await client.execute(uri: "/v1/contacts", method: .post, headers: auth.merging(jsonHeaders), body: body) { response in
                #expect(response.status == .ok)
                #expect(response.json?["contacts"] == [
                    ["input": "+1 631-555-1000", "wa_id": "16315551000", "status": "valid"],
                    ["input": "12ab", "status": "invalid"],
                    ["input": "16315550999", "status": "invalid"],
                ])
            }
        }
    }

    @Test(arguments: [
        (#"{}"#, Int64(1008)), (#"{"contacts":[]}"#, 1009), (#"{"contacts":"16315551000"}"#, 1009),
        (#"{"contacts":[1]}"#, 1009), (#"{"contacts":["1"],"blocking":"later"}"#, 1009),
        (#"{"contacts":["1"],"force_check":"maybe"}"#, 1009),
    ])
    func badBodiesGetTheErrorObject(body: String, code: Int64) async throws {
        try await APIHarness().run { client in
            let auth = try await client.adminAuthorization()
            try await client.execute(uri: "/v1/contacts", method: .post, headers: auth.merging(jsonHeaders), body: jsonBody(body)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == code)
            }
        }
    }

    @Test func contactsNeedABearerToken() async throws {
        try await APIHarness().run { client in
            try await client.execute(uri: "/v1/contacts", method: .post, headers: jsonHeaders, body: jsonBody(#"{"contacts":["1"]}"#)) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var merged = self
        for field in other { merged.append(field) }
        return merged
    }
}
