import CourierCore
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON responses with the `meta` object every JSON body carries (api.md §1.3).
public enum APIResponse {
    /// The API level Courier implements [Courier choice]: fixed, so clients take the newest path.
    public static let apiVersion = "v2.45.1"
    public static let meta: JSONValue = ["api_status": "stable", "version": .string(apiVersion)]

    /// `object` plus `meta`.
    public static func json(_ status: HTTPResponse.Status, _ object: JSONObject, headers: HTTPFields = [:]) -> Response {
        var object = object
        object["meta"] = meta
        return jsonValue(status, .object(object), headers: headers)
    }

    static func jsonValue(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }
}
