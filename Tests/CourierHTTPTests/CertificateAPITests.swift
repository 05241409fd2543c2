import AsyncHTTPClient
import CourierApp
import CourierCore
import CourierCrypto
import CourierTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// `/v1/certificates/*` (api.md §13).
@Suite struct CertificateAPITests {
    func client(trusting pem: String) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        // No pooling: every request is a new handshake, so a swapped certificate shows at once.
        configuration.connectionPool = .init(idleTimeout: .milliseconds(1), concurrentHTTP1ConnectionsPerHostSoftLimit: 1)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func send(_ client: HTTPClient, _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil)
        async throws -> (status: UInt, body: String)
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test func uploadedCertificateIsServedWithoutARestartAndAfterOne() async throws {
        let directory = try TemporaryDirectory("courier-certs")
        defer { directory.remove() }
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path + "/data"
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.tls = TLSSettings()
        let issued = try LocalCertificateAuthority.generate(commonName: "Operator", hostNames: ["127.0.0.1"])
        var token = ""
        try await runNode(configuration) { port in
            let base = "https://127.0.0.1:\(port)"
            let localCA = String(decoding: try #require(FileManager.default.contents(atPath: directory.path + "/data/tls/ca.pem")), as: UTF8.self)
            let local = try client(trusting: localCA)
            let trustingOperator = try client(trusting: issued.authority.certificatePEM)
            let basic = "Basic " + Base64Text.encode(Array("admin:secret".utf8))
            let login = try await send(
                local, base + "/v1/users/login", method: .POST, headers: [("Authorization", basic), ("Content-Type", "application/json")],
                body: #"{"new_password":"\#(APIHarness.adminPassword)"}"#)
            token = try #require(try JSONParser.parse(Array(login.body.utf8))["users"]?.arrayValue?.first?["token"]?.stringValue)
            let auth = [("Authorization", "Bearer \(token)"), ("Content-Type", "text/plain")]
            #expect(try await send(local, base + "/v1/certificates/external/ca", headers: auth).body == localCA)

            // A key that does not match, and garbage, are refused.
            let other = try LocalCertificateAuthority.generate(commonName: "Other", hostNames: ["127.0.0.1"])
            let mismatched = try await send(
                local, base + "/v1/certificates/external", method: .POST, headers: auth,
                body: other.server.privateKeyPEM + issued.server.certificatePEM)
            #expect(mismatched.status == 400)
            #expect(mismatched.body.contains("does not match"))
            #expect(try await send(local, base + "/v1/certificates/external", method: .POST, headers: auth, body: "nope").status == 400)

            let bundle = issued.server.privateKeyPEM + issued.server.certificatePEM + issued.authority.certificatePEM
            #expect(try await send(local, base + "/v1/certificates/external", method: .POST, headers: auth, body: bundle).status == 200)
            // The next handshake serves the issued's certificate: its CA verifies, the local CA no longer does.
            #expect(try await send(trustingOperator, base + "/openapi.json").status == 200)
            await #expect(throws: (any Error).self) { _ = try await send(local, base + "/openapi.json") }
            #expect(try await send(trustingOperator, base + "/v1/certificates/external/ca", headers: auth).status == 404)
            try await local.shutdown()
            try await trustingOperator.shutdown()
        }
        // After a restart the stored certificate is served again.
        try await runNode(configuration) { port in
            let trustingOperator = try client(trusting: issued.authority.certificatePEM)
            #expect(try await send(trustingOperator, "https://127.0.0.1:\(port)/openapi.json").status == 200)
            try await trustingOperator.shutdown()
        }
    }

    @Test func webhookCABundleIsStoredReadAndDeleted() async throws {
        let authority = try LocalCertificateAuthority.generate(commonName: "Hooks", hostNames: ["127.0.0.1"])
        try await APIHarness().run { client in
            var auth = try await client.adminAuthorization()
            auth[.contentType] = "text/plain"
            let uri = "/v1/certificates/webhooks/ca"
            try await client.execute(uri: uri, method: .get, headers: auth) { #expect($0.errorCode == 1006) }
            try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")) {
                #expect($0.status == .badRequest)
                #expect($0.errorCode == 1009)
            }
            try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: authority.authority.certificatePEM)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: uri, method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == authority.authority.certificatePEM)
            }
            try await client.execute(uri: uri, method: .delete, headers: auth) { #expect($0.status == .ok) }
            try await client.execute(uri: uri, method: .get, headers: auth) { #expect($0.errorCode == 1006) }
            try await client.execute(uri: uri, method: .delete, headers: auth) { #expect($0.errorCode == 1006) }
            try await client.execute(uri: uri, method: .post, headers: auth) { #expect($0.errorCode == 1008) }
        }
    }
}
