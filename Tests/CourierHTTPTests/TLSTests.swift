import AsyncHTTPClient
import CourierApp
import CourierCrypto
import CourierTesting
import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import Testing

/// `--tls` (api.md §1.1): HTTPS with a self-signed certificate from a local CA made at first start,
/// or with the operator's certificate; clients verify the chain and the host name.
@Suite struct TLSTests {
    func configuration(_ directory: TemporaryDirectory, tls: TLSSettings) -> NodeConfiguration {
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path + "/data"
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.tls = tls
        return configuration
    }

    /// An HTTPS client trusting `pem` (nil: the system store only), shut down after `body`.
    func withClient(trusting pem: String?, _ body: (HTTPClient) async throws -> Void) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let pem { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))) }
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func get(_ client: HTTPClient, _ url: String) async throws -> (status: UInt, body: String) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }

    @Test func selfSignedCertificateIsMadeOnceAndVerifiesAgainstItsCA() async throws {
        let directory = try TemporaryDirectory("courier-tls")
        defer { directory.remove() }
        let configuration = configuration(directory, tls: TLSSettings())
        var firstCertificate = ""
        try await runNode(configuration) { port in
            let caPEM = try #require(FileManager.default.contents(atPath: directory.path + "/data/tls/ca.pem"))
            firstCertificate = String(decoding: try #require(FileManager.default.contents(atPath: directory.path + "/data/tls/server.pem")), as: UTF8.self)
            let keyAttributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/data/tls/server-key.pem")
            #expect((keyAttributes[.posixPermissions] as? Int) == 0o600)
            try await withClient(trusting: String(decoding: caPEM, as: UTF8.self)) { trusting in
                // Both host names in the certificate verify.
                for host in ["localhost", "127.0.0.1"] {
                    let document = try await get(trusting, "https://\(host):\(port)/openapi.json")
                    #expect(document.status == 200)
                    #expect(document.body.contains("\"openapi\""))
                }
                // Authentication still applies over HTTPS.
                #expect(try await get(trusting, "https://127.0.0.1:\(port)/v1/health").status == 401)
                // Plain HTTP on the HTTPS port gets no HTTP answer.
                await #expect(throws: (any Error).self) { _ = try await get(trusting, "http://127.0.0.1:\(port)/openapi.json") }
            }
            // A client that does not trust the local CA refuses the certificate.
            try await withClient(trusting: nil) { untrusting in
                await #expect(throws: (any Error).self) { _ = try await get(untrusting, "https://127.0.0.1:\(port)/openapi.json") }
            }
        }
        // A restart serves the same certificate rather than making a new one.
        try await runNode(configuration) { _ in
            let again = String(decoding: try #require(FileManager.default.contents(atPath: directory.path + "/data/tls/server.pem")), as: UTF8.self)
            #expect(again == firstCertificate)
        }
    }

    @Test func operatorCertificateIsServed() async throws {
        let directory = try TemporaryDirectory("courier-tls")
        defer { directory.remove() }
        let authority = try LocalCertificateAuthority.generate(commonName: "Operator", hostNames: ["127.0.0.1"])
        let certificatePath = directory.path + "/cert.pem"
        let keyPath = directory.path + "/key.pem"
        try Data(authority.server.certificatePEM.utf8).write(to: URL(fileURLWithPath: certificatePath))
        try Data(authority.server.privateKeyPEM.utf8).write(to: URL(fileURLWithPath: keyPath))
        try await runNode(configuration(directory, tls: TLSSettings(certificatePath: certificatePath, keyPath: keyPath))) { port in
            try await withClient(trusting: authority.authority.certificatePEM) { trusting in
                let document = try await get(trusting, "https://127.0.0.1:\(port)/openapi.json")
                #expect(document.status == 200)
            }
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/data/tls/server.pem"))
        }
    }

    @Test func halfConfiguredOrBrokenCertificatesAreClearStartupErrors() async throws {
        let directory = try TemporaryDirectory("courier-tls")
        defer { directory.remove() }
        let half = configuration(directory, tls: TLSSettings(certificatePath: directory.path + "/cert.pem", keyPath: nil))
        let halfError = await #expect(throws: AppError.self) {
            _ = try await Node.build(configuration: half, logger: Logger(label: "test"), credentials: .testing())
        }
        #expect(halfError?.message.contains("go together") == true)
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: directory.path + "/cert.pem"))
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: directory.path + "/key.pem"))
        let broken = configuration(directory, tls: TLSSettings(certificatePath: directory.path + "/cert.pem", keyPath: directory.path + "/key.pem"))
        let brokenError = await #expect(throws: AppError.self) {
            _ = try await Node.build(configuration: broken, logger: Logger(label: "test"), credentials: .testing())
        }
        #expect(brokenError?.message.contains("not valid PEM") == true)
    }
}
