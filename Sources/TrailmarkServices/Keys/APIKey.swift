/// An API key's kind and rights (API.md § Auth).
public enum KeyKind: String, Sendable, CaseIterable, Codable {
    /// `sk_`: track, batch, identify, every read, forget.
    case secret
    /// `pk_`: track, batch, identify, only from an allowed `Origin` (browsers).
    case `public`
    /// `rk_`: every read.
    case read

    /// The key's text prefix.
    public var prefix: String {
        switch self {
        case .secret: "sk"
        case .public: "pk"
        case .read: "rk"
        }
    }

    public init?(prefix: Substring) {
        guard let kind = KeyKind.allCases.first(where: { $0.prefix == prefix }) else { return nil }
        self = kind
    }
}

/// What a request wants to do, for the rights check.
public enum Action: Sendable {
    case write
    case read
    case forget
}

/// A stored key: only a hash of its secret is kept (SHA-256 of pepper + secret).
public struct StoredKey: Sendable, Codable, Equatable {
    /// The 8-character public id inside the key text, used to find the record.
    public var id: String
    public var kind: KeyKind
    public var project: String
    /// Hex SHA-256 of the per-install pepper followed by the secret part.
    public var hash: String
    /// Allowed `Origin`s for public keys (scheme://host[:port], compared exactly).
    public var origins: [String]
    public var createdAt: String
    public var revoked: Bool

    /// Whether this key's kind may perform `action` (API.md table).
    public func may(_ action: Action) -> Bool {
        switch (kind, action) {
        case (.secret, _): true
        case (.public, .write): true
        case (.read, .read): true
        default: false
        }
    }
}

/// The parts of a key's text: `<kind>_live_<id>_<secret>`.
public struct KeyText: Sendable, Equatable {
    public var kind: KeyKind
    public var id: String
    public var secret: String

    public init(kind: KeyKind, id: String, secret: String) {
        self.kind = kind
        self.id = id
        self.secret = secret
    }

    /// Parses a bearer token; `nil` when it is not shaped like a Trailmark key.
    public init?(parsing text: Substring) {
        let parts = text.split(separator: "_", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1] == "live", let kind = KeyKind(prefix: parts[0]),
            parts[2].utf8.count == 8, !parts[3].isEmpty, parts[3].utf8.count <= 128
        else { return nil }
        self.init(kind: kind, id: String(parts[2]), secret: String(parts[3]))
    }

    public var text: String { "\(kind.prefix)_live_\(id)_\(secret)" }
}
