extension SendValidation.Checker {
    /// `{id or link, caption?, provider?: {name}}` plus `filename?` for a document (api.md §6.1); also
    /// the media of template parameters and interactive headers.
    ///
    /// Neither `id` nor `link` is 1008 (a required parameter is missing); both is 1009 (the spec's
    /// "exactly one", a value fault). Whether the id exists (1006) and the provider is configured
    /// need state and are checked where the send is handled.
    mutating func media(_ value: JSONValue?, kind: String, at path: String) {
        guard let media = object(value, at: path) else { return }
        let id = SendValidation.Checker.present(media["id"])
        let link = SendValidation.Checker.present(media["link"])
        switch (id, link) {
        case (nil, nil): report(1008, "\(path).id or \(path).link is required")
        case (.some, .some): report(1009, "\(path) must have only one of id and link")
        case (.some, nil): _ = string(id, at: "\(path).id")
        case (nil, .some): self.link(link, at: "\(path).link")
        }
        if kind == "audio" || kind == "sticker" {
            if SendValidation.Checker.present(media["caption"]) != nil {
                report(1010, "\(path).caption is not allowed with \(kind)")
            }
        } else {
            _ = string(media["caption"], at: "\(path).caption", required: false, length: 0...1024)
        }
        if let provider = object(media["provider"], at: "\(path).provider", required: false) {
            // §9.2 names are 1–64 characters, so a longer one can never be a configured provider.
            _ = string(provider["name"], at: "\(path).provider.name", length: 1...64)
        }
        if kind == "document" {
            _ = string(media["filename"], at: "\(path).filename", required: false, length: 0...Int.max)
        }
    }

    /// An `http`/`https` URL of at most 2048 characters (api.md §6.1, as `webhooks.url` in §9.1).
    mutating func link(_ value: JSONValue?, at path: String) {
        guard let link = string(value, at: path, length: 1...2048) else { return }
        if !SendValidation.isHTTPURL(link) { report(1009, "\(path) must be an http or https URL") }
    }
}

extension SendValidation {
    /// Whether `text` is an absolute `http`/`https` URL with a host. Deliberately byte-level and strict
    /// about whitespace: the link is handed to a fetcher as is, and Foundation's parsing differs by platform.
    static func isHTTPURL(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return false }
        let scheme = String(decoding: bytes.prefix(8), as: UTF8.self).lowercased()
        let schemeLength: Int
        if scheme.hasPrefix("https://") {
            schemeLength = 8
        } else if scheme.hasPrefix("http://") {
            schemeLength = 7
        } else {
            return false
        }
        let authority = bytes.dropFirst(schemeLength).prefix {
            ![UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#")].contains($0)
        }
        let hostAndPort = authority.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false).last ?? []
        return isHostAndPort(Array(hostAndPort))
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`, with a non-empty host and a port of 1–5 digits.
    private static func isHostAndPort(_ bytes: [UInt8]) -> Bool {
        var host = bytes[...]
        var port: ArraySlice<UInt8> = []
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            host = bytes[1..<close]
            let rest = bytes[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":"), rest.count > 1 else { return false }
                port = rest.dropFirst()
            }
        } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            host = bytes[..<colon]
            port = bytes[(colon + 1)...]
            if port.isEmpty { return false }
        }
        let portIsValid = port.count <= 5 && port.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        return !host.isEmpty && portIsValid
    }
}
