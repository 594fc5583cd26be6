/// Authenticates a request's bearer key and checks its rights and origin (API.md § Auth),
/// the same way for the JSON gateway and the binary RPC.
struct RequestAuthenticator: Sendable {
    let keys: KeyStore
    let limiter: RateLimiter

    /// The caller's key, or 401 `unauthorized` / 403 `forbidden` / 403 `origin_not_allowed`.
    func authenticate(authorization: String?, origin: String?, action: Action, operation: String) throws(APIError) -> StoredKey {
        guard let header = authorization, header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "missing API key: send Authorization: Bearer <key>")
        }
        guard let key = keys.authenticate(header.dropFirst("Bearer ".count)) else {
            throw APIError(.unauthorized, "unknown or revoked API key")
        }
        guard key.may(action) else {
            throw APIError(.forbidden, "a \(key.kind.rawValue) key may not call \(operation)")
        }
        if key.kind == .public {
            guard let origin, key.origins.contains(origin) else {
                throw APIError(.originNotAllowed, "this public key only accepts requests from its allowed origins")
            }
        }
        return key
    }

    /// Takes one request (carrying `events` events) from the key's rate limits.
    func limit(_ key: StoredKey, events: Int) throws(APIError) {
        if let wait = limiter.acquire(key: key.id, events: events) {
            throw APIError(.rateLimited, "rate limit of this key exceeded; retry in \(wait) s", retryAfterSeconds: wait)
        }
    }
}
