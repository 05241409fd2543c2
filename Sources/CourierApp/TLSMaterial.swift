import CourierCrypto
import Foundation
import NIOSSL
import Synchronization

/// The certificate installed with `POST /v1/certificates/external` (api.md §13), served from the next
/// handshake on instead of the start-up one.
public final class ServedCertificate: Sendable {
    private let state = Mutex(NIOSSLContextConfigurationOverride.noChanges)

    public init() {}

    var current: NIOSSLContextConfigurationOverride { state.withLock { $0 } }

    /// Installs `bundle`; throws if NIOSSL cannot load it (it was checked by OpenSSL already).
    public func install(_ bundle: CertificateBundle) throws {
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = try bundle.certificatePEMs.map { .certificate(try NIOSSLCertificate(bytes: Array($0.utf8), format: .pem)) }
        override.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(bundle.privateKeyPEM.utf8), format: .pem))
        state.withLock { $0 = override }
    }
}

/// `--tls` (`COURIER_TLS`): where the certificate comes from (operations.md §1).
public struct TLSSettings: Sendable, Hashable {
    /// `COURIER_TLS_CERT` and `COURIER_TLS_KEY`: PEM files. Both nil: a local CA and a server
    /// certificate made at first start under `<data dir>/tls`.
    public var certificatePath: String?
    public var keyPath: String?

    public init(certificatePath: String? = nil, keyPath: String? = nil) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

/// The certificate chain and key a node serves HTTPS with, and the local CA when it made its own.
public struct TLSMaterial: Sendable {
    public var certificateChainPEM: String
    public var privateKeyPEM: String
    /// PEM of the local CA behind a self-signed certificate (`GET /v1/certificates/external/ca`);
    /// nil when the operator's certificate is in use.
    public var localAuthorityPEM: String?

    /// Loads the operator's files, or the node's own material from `<data dir>/tls`, making it on
    /// first start for `hostNames` (localhost and 127.0.0.1 are always included).
    public static func prepare(_ settings: TLSSettings, dataDirectory: DataDirectory, hostNames: [String]) throws -> TLSMaterial {
        switch (settings.certificatePath, settings.keyPath) {
        case (let certificate?, let key?):
            return TLSMaterial(
                certificateChainPEM: try read(certificate, what: "COURIER_TLS_CERT"), privateKeyPEM: try read(key, what: "COURIER_TLS_KEY"),
                localAuthorityPEM: nil)
        case (nil, nil):
            return try ownMaterial(in: dataDirectory.tlsPath, hostNames: hostNames)
        default:
            throw AppError("COURIER_TLS_CERT and COURIER_TLS_KEY go together: set both, or neither for a self-signed certificate")
        }
    }

    /// NIOSSL's server configuration; fails with a clear message on a bad PEM or a key not matching.
    /// Each handshake asks `override` first, so a certificate installed later is served without a restart.
    public func serverConfiguration(override: ServedCertificate) throws -> TLSConfiguration {
        var configuration = try serverConfiguration()
        configuration.sslContextCallback = { _, promise in promise.succeed(override.current) }
        return configuration
    }

    public func serverConfiguration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8))
            key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        } catch {
            throw AppError("the TLS certificate or key is not valid PEM: \(error)")
        }
        guard !chain.isEmpty else { throw AppError("the TLS certificate file holds no certificate") }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    static let files = (caCertificate: "ca.pem", caKey: "ca-key.pem", certificate: "server.pem", key: "server-key.pem")

    static func ownMaterial(in directory: String, hostNames: [String]) throws -> TLSMaterial {
        let certificatePath = directory + "/" + files.certificate
        let keyPath = directory + "/" + files.key
        let caPath = directory + "/" + files.caCertificate
        if FileManager.default.fileExists(atPath: certificatePath) {
            return TLSMaterial(
                certificateChainPEM: try read(certificatePath, what: "the node's TLS certificate"),
                privateKeyPEM: try read(keyPath, what: "the node's TLS key"),
                localAuthorityPEM: try? read(caPath, what: "the local CA"))
        }
        var names = ["localhost", "127.0.0.1", "::1"]
        for name in hostNames where !name.isEmpty && !names.contains(name) && name != "0.0.0.0" && name != "::" { names.append(name) }
        let generated: LocalCertificateAuthority
        do {
            generated = try LocalCertificateAuthority.generate(commonName: "Courier", hostNames: names)
        } catch {
            throw AppError("cannot make a self-signed TLS certificate: \(error)")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try write(generated.authority.privateKeyPEM, to: directory + "/" + files.caKey, secret: true)
            try write(generated.authority.certificatePEM, to: caPath, secret: false)
            try write(generated.server.privateKeyPEM, to: keyPath, secret: true)
            // Last: its presence means the set is complete.
            try write(generated.server.certificatePEM + generated.authority.certificatePEM, to: certificatePath, secret: false)
        } catch {
            throw AppError("cannot store the TLS certificate in \(directory): \(error)")
        }
        return TLSMaterial(
            certificateChainPEM: generated.server.certificatePEM + generated.authority.certificatePEM,
            privateKeyPEM: generated.server.privateKeyPEM, localAuthorityPEM: generated.authority.certificatePEM)
    }

    static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw AppError("\(what): cannot read \(path)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes via a temporary file and rename; keys readable by the owner only.
    static func write(_ text: String, to path: String, secret: Bool) throws {
        let temporary = path + ".tmp"
        let attributes: [FileAttributeKey: Any] = [.posixPermissions: secret ? 0o600 : 0o644]
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: attributes) else {
            throw AppError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw AppError("cannot rename \(temporary) to \(path): errno \(errno)") }
    }
}
