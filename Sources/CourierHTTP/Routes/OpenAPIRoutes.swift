import HTTPTypes
import Hummingbird
import NIOCore

/// The OpenAPI 3.1 document of every route (openapi/openapi.json, embedded by scripts/embed-openapi.sh).
public enum OpenAPIDocument {
    /// The bytes `GET /openapi.json` answers.
    static let body = ByteBuffer(string: json)
}

/// `GET /openapi.json` (api.md §1.1) [Courier extension]: no authentication, no `meta` added.
struct OpenAPIRoutes {
    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.get("/openapi.json") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: OpenAPIDocument.body))
        }
    }
}
