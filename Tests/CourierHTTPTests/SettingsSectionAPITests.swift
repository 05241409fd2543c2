import CourierCore
import CourierHTTP
import CourierShards
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Foundation
import Testing

/// The stored settings of api.md §9.2–§9.3, over in-memory logs (and a media volume for the photo).
@Suite struct SettingsSectionAPITests {
    func post(_ client: any TestClientProtocol, _ uri: String, _ auth: HTTPFields, _ body: String, method: HTTPRequest.Method = .post)
        async throws -> TestResponse
    {
        try await client.execute(uri: uri, method: method, headers: auth.with(jsonHeaders), body: jsonBody(body))
    }

    @Test func mediaProvidersAreUpsertedByNameMaskedAndDeleted() async throws {
        let harness = APIHarness()
        let control = try #require(harness.control)
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            let uri = "/v1/settings/application/media/providers"
            #expect(try await post(client, uri, auth, #"[{"name":"cdn","type":"www","config":{"bearer":"t0ken"}}]"#).status == .ok)
            #expect(
                try await post(
                    client, uri, auth,
                    #"[{"name":"files","type":"www","config":{"basic":{"username":"u","password":"p4ss"}}},{"name":"cdn","type":"www","config":{"bearer":"n3w"}}]"#
                ).status == .ok)
            try await client.execute(uri: uri, method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                let providers = response.json?["settings"]?["application"]?["media"]?["providers"]?.arrayValue ?? []
                #expect(providers.map { $0["name"]?.stringValue } == ["cdn", "files"])
                #expect(providers[0]["config"]?["bearer"] == "***")
                #expect(providers[1]["config"]?["basic"]?["password"] == "***")
                #expect(providers[1]["config"]?["basic"]?["username"] == "u")
            }
            // The stored value keeps the real credential (replaced by name).
            #expect(await control.section(SettingsChangeEvent.mediaProvidersSection)?["providers"]?.arrayValue?[0]["config"]?["bearer"] == "n3w")
            try await client.execute(uri: uri + "/cdn", method: .delete, headers: auth) { #expect($0.status == .ok) }
            try await client.execute(uri: uri + "/cdn", method: .delete, headers: auth) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == 1006)
            }
            for (body, code) in [
                (#"[]"#, Int64(1008)), (#"[{"name":"","type":"www","config":{"bearer":"x"}}]"#, 1009),
                (#"[{"name":"a","type":"ftp","config":{"bearer":"x"}}]"#, 1009), (#"[{"name":"a","type":"www"}]"#, 1008),
                (#"[{"name":"a","type":"www","config":{}}]"#, 1009), (#"[{"name":"a","type":"www","config":{"bearer":"x"},"x":1}]"#, 1010),
                (#""cdn""#, 1009),
            ] {
                let response = try await post(client, uri, auth, body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorCode == code, "\(body)")
            }
        }
        // The dump of the control stream prints the credentials as ***.
        let records = harness.controlStorage.allRecords
        let dumped = records.compactMap { try? Event.decode($0)?.json.serialized() }.map { String(decoding: $0, as: UTF8.self) }
        #expect(dumped.contains { $0.contains("media.providers") })
        #expect(!dumped.contains { $0.contains("t0ken") || $0.contains("p4ss") || $0.contains("n3w") })
    }

    @Test func profileAboutBusinessProfileAndComplianceInfoAreStored() async throws {
        try await APIHarness().run { client in
            let auth = try await client.adminAuthorization()
            try await client.execute(uri: "/v1/settings/profile/about", method: .get, headers: auth) { response in
                #expect(response.json?["settings"]?["profile"]?["about"]?["text"] == "")
            }
            #expect(try await post(client, "/v1/settings/profile/about", auth, #"{"text":"Open 9–5"}"#, method: .patch).status == .ok)
            try await client.execute(uri: "/v1/settings/profile/about", method: .get, headers: auth) { response in
                #expect(response.json?["settings"]?["profile"]?["about"]?["text"] == "Open 9–5")
            }
            let long = String(repeating: "a", count: 140)
            #expect(try await post(client, "/v1/settings/profile/about", auth, #"{"text":"\#(long)"}"#, method: .patch).errorCode == 1009)
            #expect(try await post(client, "/v1/settings/profile/about", auth, #"{}"#, method: .patch).errorCode == 1008)

            let uri = "/v1/settings/business/profile"
            #expect(try await post(client, uri, auth, #"{"address":"1 Main St","websites":["https://acme.example"]}"#).status == .ok)
            #expect(try await post(client, uri, auth, #"{"email":"help@acme.example"}"#).status == .ok)
            try await client.execute(uri: uri, method: .get, headers: auth) { response in
                #expect(response.json?["settings"]?["business"]?["profile"] == [
                    "address": "1 Main St", "websites": ["https://acme.example"], "email": "help@acme.example",
                ])
            }
            for (body, code) in [
                (#"{"websites":["a","b","c"]}"#, Int64(1009)), (#"{"websites":["ftp://x"]}"#, 1009), (#"{"vertical":1}"#, 1009),
                (#"{"fax":"1"}"#, 1010), (#"{"description":"\#(String(repeating: "d", count: 257))"}"#, 1009),
            ] {
                #expect(try await post(client, uri, auth, body).errorCode == code, "\(body)")
            }
            let compliance = #"{"entity_name":"Acme","grievance_officer_details":{"name":"Ana","email":null}}"#
            #expect(try await post(client, "/v1/settings/business/compliance_info", auth, compliance).status == .ok)
            try await client.execute(uri: "/v1/settings/business/compliance_info", method: .get, headers: auth) { response in
                // Stored as given, nulls included.
                #expect(response.json?["settings"]?["business"]?["compliance_info"] == (try? JSONParser.parse(Array(compliance.utf8))))
            }
            let big = #"{"x":"\#(String(repeating: "x", count: 17_000))"}"#
            #expect(try await post(client, "/v1/settings/business/compliance_info", auth, big).errorCode == 1009)
            // Admin only.
            let user = try await client.createUser("ana1", "Str0ng!pass", admin: auth)
            try await client.execute(uri: uri, method: .get, headers: user) { #expect($0.status == .forbidden) }
        }
    }

    @Test func storedSectionsSurviveARestartOfTheControlStream() async throws {
        let first = APIHarness()
        try await first.run { client in
            let auth = try await client.adminAuthorization()
            #expect(try await post(client, "/v1/settings/profile/about", auth, #"{"text":"kept"}"#, method: .patch).status == .ok)
        }
        let second = APIHarness(controlStorage: first.controlStorage)
        try await second.run { client in
            let auth = try await client.bearer("admin", APIHarness.adminPassword)
            try await client.execute(uri: "/v1/settings/profile/about", method: .get, headers: auth) { response in
                #expect(response.json?["settings"]?["profile"]?["about"]?["text"] == "kept")
            }
        }
    }

    @Test func profilePhotoIsStoredOnTheMediaVolume() async throws {
        let directory = try TemporaryDirectory("courier-photo")
        defer { directory.remove() }
        var harness = APIHarness()
        let store = MediaStore(root: directory.path + "/media", clock: harness.clock.function)
        try store.prepare()
        harness.media = store
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            try await client.execute(uri: "/v1/settings/profile/photo", method: .get, headers: auth) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == 1006)
            }
            var headers = auth
            headers[.contentType] = "image/png"
            try await client.execute(uri: "/v1/settings/profile/photo", method: .post, headers: headers, body: ByteBuffer(string: "PNG1")) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/settings/profile/photo", method: .post, headers: headers, body: ByteBuffer(string: "PNG2")) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/settings/profile/photo", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/png")
                #expect(String(buffer: response.body) == "PNG2")
            }
            try await client.execute(uri: "/v1/settings/profile/photo?format=link", method: .get, headers: auth) { response in
                #expect(response.json?["settings"]?["profile"]?["photo"]?["link"] == "/v1/settings/profile/photo")
            }
            headers[.contentType] = "image/gif"
            try await client.execute(uri: "/v1/settings/profile/photo", method: .post, headers: headers, body: ByteBuffer(string: "GIF")) {
                #expect($0.errorCode == 1009)
            }
        }
        // The replaced photo's file is gone: one photo and its sidecar remain.
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/media/outgoing")
        #expect(files.count == 2)
    }
}
