/// Media a send names by `link` (api.md §6.1): fetched before the message goes to the network, with the
/// credentials of the named media provider (api.md §9.2) when `provider` is set.
public struct MediaLink: Hashable, Sendable {
    public var url: String
    /// `provider.name` of the send, nil when absent.
    public var provider: String?

    public init(url: String, provider: String? = nil) {
        self.url = url
        self.provider = provider
    }
}

/// The credentials a media provider's `config` holds (api.md §9.2): `{"bearer"}` or `{"basic": {"username", "password"}}`.
public enum MediaProviderCredentials: Hashable, Sendable {
    case bearer(String)
    case basic(username: String, password: String)

    /// The credentials of the provider named `name` in the stored `media.providers` section; nil when no
    /// such provider is configured (or its config holds neither form).
    public static func find(_ name: String, in section: JSONValue?) -> MediaProviderCredentials? {
        guard let providers = section?["providers"]?.arrayValue,
            let config = providers.first(where: { $0["name"]?.stringValue == name })?["config"]
        else { return nil }
        if let token = config["bearer"]?.stringValue { return .bearer(token) }
        if let username = config["basic"]?["username"]?.stringValue, let password = config["basic"]?["password"]?.stringValue {
            return .basic(username: username, password: password)
        }
        return nil
    }

    /// Whether a provider named `name` is configured in the stored `media.providers` section.
    public static func isConfigured(_ name: String, in section: JSONValue?) -> Bool {
        section?["providers"]?.arrayValue?.contains { $0["name"]?.stringValue == name } ?? false
    }
}
