import CourierCore
import HTTPTypes
import Hummingbird

/// `/v1/certificates/*` (api.md §13), admin only.
struct CertificateRoutes {
    let dependencies: APIDependencies

    func register(admins: some RouterMethods<CourierRequestContext>) {
        // The local CA behind the self-signed HTTPS certificate, for clients to trust once.
        admins.get("/v1/certificates/external/ca") { _, _ -> Response in
            guard let pem = dependencies.localCertificateAuthorityPEM else {
                throw APIError(1006, "no local CA: HTTPS is off or a custom certificate is in use")
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-pem-file"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: pem)))
        }
    }
}
