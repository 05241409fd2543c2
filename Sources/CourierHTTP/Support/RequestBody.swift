import CourierCore
import HTTPTypes
import Hummingbird
import NIOCore

extension Request {
    /// The JSON body, parsed; enforces the body limit and Content-Type (api.md §1.1).
    /// An empty body counts as `{}` when `optional`.
    mutating func jsonBody(limit: Int, optional: Bool = false) async throws -> JSONValue {
        if let contentType = headers[.contentType], !contentType.isEmpty {
            let mediaType = contentType.split(separator: ";").first.map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
            guard mediaType == "application/json" else {
                throw APIError(1025, "Content-Type must be application/json", status: .unsupportedMediaType)
            }
        }
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(1025, "request body is larger than \(limit) bytes", status: .contentTooLarge)
        } catch is NIOTooManyBytesError {
            throw APIError(1025, "request body is larger than \(limit) bytes", status: .contentTooLarge)
        }
        if buffer.readableBytes == 0 {
            guard optional else { throw APIError(1008, "request body is required") }
            return .object(JSONObject())
        }
        do {
            return try buffer.withUnsafeReadableBytes { try JSONParser.parse($0) }
        } catch let error as JSONParser.Error {
            throw APIError(1025, "request body is not valid JSON: \(error.message) at byte \(error.offset)")
        }
    }
}
