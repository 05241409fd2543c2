@testable import CourierApp
import CourierCore
import CourierCrypto
import CourierTesting
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import Testing

/// `https` webhook URLs are verified against the system store plus the CA uploaded with
/// `/v1/certificates/webhooks/ca` (webhooks.md §1): an unknown CA fails the attempt, and once the CA
/// is uploaded the pending callbacks go out.
@Suite(.serialized) struct WebhookTLSTests {
    @Test func anHTTPSReceiverIsTrustedOnceItsCAIsUploaded() async throws {
        let authority = try LocalCertificateAuthority.generate(commonName: "Receiver", hostNames: ["127.0.0.1"])
        let receiver = WebhookReceiver()
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(authority.server.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(authority.server.privateKeyPEM.utf8), format: .pem)))
        let server = try HTTPServerBuilder.tls(.http1(), tlsConfiguration: tls)
        let receiverTask = try await receiver.start(server: server)
        defer { receiverTask.cancel() }
        let directory = try TemporaryDirectory("courier-webhook-tls")
        defer { directory.remove() }
        let node = try await RunningNode.start(directory)
        let suite = WebhookEndToEndTests()
        let token = try await suite.login(node)
        let url = "https://127.0.0.1:\(receiver.port.withLock { $0 })/hook"
        let patch = #"{"webhooks":{"url":"\#(url)"},"callback_backoff_delay_ms":100,"max_callback_backoff_delay_ms":200}"#
        #expect(try await node.call(.PATCH, "/v1/settings/application", patch, token: token).status == 200)
        let sent = try await node.call(.POST, "/v1/messages", #"{"to":"16315551000","text":{"body":"hi"}}"#, token: token)
        let id = try #require(sent.json["messages"]?.arrayValue?.first?["id"]?.stringValue)
        // The receiver's CA is unknown: attempts fail at the handshake, nothing arrives.
        try await suite.waitUntil("failed attempts") { (node.node.webhooks?.stats().requestsFailed ?? 0) >= 2 }
        #expect(receiver.callbacks.withLock { $0.isEmpty })
        #expect(try await node.callText(.POST, "/v1/certificates/webhooks/ca", authority.authority.certificatePEM, token: token) == 200)
        try await suite.waitUntil("the statuses over https") { receiver.statuses()[id] == ["sent", "delivered", "read"] }
        try await node.stop()
    }
}
