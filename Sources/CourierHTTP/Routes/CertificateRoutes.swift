import CourierCore
import CourierCrypto
import CourierShards
import HTTPTypes
import Hummingbird
import NIOCore

/// `/v1/certificates/*` (api.md §13), admin only.
struct CertificateRoutes {
    let dependencies: APIDependencies

    func register(admins: some RouterMethods<CourierRequestContext>) {
        // The local CA behind the self-signed HTTPS certificate, for clients to trust once.
        admins.get("/v1/certificates/external/ca") { _, _ -> Response in
            let custom = await dependencies.control?.section(SettingsChangeEvent.externalCertificateSection)
            guard let pem = dependencies.localCertificateAuthorityPEM, custom == nil || custom == .null else {
                throw APIError(1006, "no local CA: HTTPS is off or a custom certificate is in use")
            }
            return Self.pem(pem)
        }
        // A PEM private key and certificate chain, served from the next TLS handshake on (no restart).
        admins.post("/v1/certificates/external") { request, _ -> Response in
            let text = try await Self.text(request, limit: dependencies.configuration.bodyLimitBytes)
            let bundle: CertificateBundle
            do {
                bundle = try CertificateBundle.parse(text)
            } catch let error as CryptoError {
                throw APIError(1009, "certificate not accepted: \(error.message)")
            }
            let value: JSONValue = [
                "key_pem": .string(bundle.privateKeyPEM), "chain_pem": .string(bundle.certificatePEMs.joined()),
            ]
            try await edit(SettingsChangeEvent.externalCertificateSection, .replace(value))
            dependencies.externalCertificateChanged?(bundle)
            return APIResponse.json(.ok, [:])
        }
        admins.get("/v1/certificates/webhooks/ca") { _, _ -> Response in
            let section = await (try dependencies.requireControl()).section(SettingsChangeEvent.webhooksCASection)
            guard let pem = section?["pem"]?.stringValue else { throw APIError(1006, "no webhook CA is set") }
            return Self.pem(pem)
        }
        admins.post("/v1/certificates/webhooks/ca") { request, _ -> Response in
            let text = try await Self.text(request, limit: dependencies.configuration.bodyLimitBytes)
            let certificates: [String]
            do {
                certificates = try CertificateBundle.parseCertificates(text)
            } catch let error as CryptoError {
                throw APIError(1009, "CA bundle not accepted: \(error.message)")
            }
            try await edit(SettingsChangeEvent.webhooksCASection, .replace(["pem": .string(certificates.joined())]))
            return APIResponse.json(.ok, [:])
        }
        admins.delete("/v1/certificates/webhooks/ca") { _, _ -> Response in
            let control = try dependencies.requireControl()
            guard await control.section(SettingsChangeEvent.webhooksCASection)?["pem"] != nil else {
                throw APIError(1006, "no webhook CA is set")
            }
            try await edit(SettingsChangeEvent.webhooksCASection, .replace(.null))
            return APIResponse.json(.ok, [:])
        }
    }

    private func edit(_ section: String, _ edit: SectionEdit) async throws {
        let control = try dependencies.requireControl()
        try UserRoutes.check(try await UserRoutes.perform { try await control.editSection(section, edit) })
    }

    static func pem(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-pem-file"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A PEM body (`text/plain`, `application/x-pem-file` or no Content-Type); empty → 400/1008.
    static func text(_ request: Request, limit: Int) async throws -> String {
        if let type = request.headers[.contentType].flatMap(MediaPolicy.mimeType),
            !["text/plain", "application/x-pem-file", "application/octet-stream"].contains(type)
        {
            throw APIError(1025, "Content-Type must be text/plain (PEM)", status: .unsupportedMediaType)
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(1025, "request body is larger than \(limit) bytes", status: .contentTooLarge)
        }
        guard buffer.readableBytes > 0 else { throw APIError(1008, "the PEM body is required") }
        return String(buffer: buffer)
    }
}
