import CourierCore
import CourierHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct OpenAPITests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let operationKeys: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// `METHOD path` for every operation of the document's `paths`.
    static func documentedOperations() throws -> Set<String> {
        let document = try JSONParser.parse(Array(OpenAPIDocument.json.utf8))
        let paths = try #require(document["paths"]?.objectValue, "the document has no paths object")
        var operations: Set<String> = []
        for (path, item) in paths.members {
            for key in try #require(item.objectValue, "paths.\(path) is not an object").keys where operationKeys.contains(key) {
                operations.insert("\(key.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryOperationIsARoute() throws {
        let documented = try Self.documentedOperations()
        let routes = Set(CourierAPI.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(routes.count == CourierAPI.routes.count, "CourierAPI.routes lists a route twice")
        for route in routes.subtracting(documented).sorted() {
            Issue.record("\(route) is in CourierAPI.routes but not in openapi/openapi.json: document it, then run scripts/embed-openapi.sh")
        }
        for operation in documented.subtracting(routes).sorted() {
            Issue.record("\(operation) is in openapi/openapi.json but not in CourierAPI.routes")
        }
    }

    @Test func embeddedDocumentMatchesTheRepositoryFile() throws {
        let file = try Data(contentsOf: Self.repositoryRoot.appendingPathComponent("openapi/openapi.json"))
        let embedded = Array(OpenAPIDocument.json.utf8)
        let bytes = Array(file)
        let same = bytes == embedded
        let offset = bytes.indices.first { $0 >= embedded.count || bytes[$0] != embedded[$0] } ?? bytes.count
        #expect(same, "openapi/openapi.json and the embedded copy differ from byte \(offset): run scripts/embed-openapi.sh")
    }

    @Test func documentIsServedWithoutCredentials() async throws {
        try await APIHarness().run { client in
            for uri in ["/openapi.json", "/openapi.json/"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(response.headers[.server]?.hasPrefix("Courier/") == true)
                    let servedEmbeddedBytes = Array(response.body.readableBytesView) == Array(OpenAPIDocument.json.utf8)
                    #expect(servedEmbeddedBytes)
                    let version = try #require(response.json?["openapi"]?.stringValue, "the body is not JSON with an openapi field")
                    #expect(version.hasPrefix("3.1"))
                }
            }
            try await client.execute(uri: "/openapi.json", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
        }
    }
}
