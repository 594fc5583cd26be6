/// The routes of the JSON gateway (API.md), with the right each needs and its body limit.
enum GatewayRoute: Equatable {
    case track, batch, identify, forget(userID: String)
    case query, stats, sources, user(userID: String), funnelGet, funnelPost
    case health, metrics

    /// Largest request body accepted (API.md: 1 MiB for track/identify, 5 MiB for batch).
    static let smallBodyBytesMax = 1 << 20
    static let batchBodyBytesMax = 5 << 20

    /// Matches a method and a raw path; `nil` for anything else (404 `not_found`).
    /// A user id in the path is percent-decoded; an undecodable one is `invalid_query`.
    static func match(method: String, path: String) throws(APIError) -> GatewayRoute? {
        switch (method, path) {
        case ("POST", "/v1/track"): return .track
        case ("POST", "/v1/batch"): return .batch
        case ("POST", "/v1/identify"): return .identify
        case ("GET", "/v1/query"): return .query
        case ("GET", "/v1/stats"): return .stats
        case ("GET", "/v1/sources"): return .sources
        case ("GET", "/v1/funnel"): return .funnelGet
        case ("POST", "/v1/funnel"): return .funnelPost
        case ("GET", "/v1/health"), ("HEAD", "/v1/health"): return .health
        case ("GET", "/metrics"): return .metrics
        default: break
        }
        let prefix = "/v1/users/"
        guard path.hasPrefix(prefix) else { return nil }
        let raw = path.dropFirst(prefix.count)
        guard !raw.contains("/") else { return nil }
        let id = try QueryString.decode(raw)
        guard !id.isEmpty else {
            throw APIError(.invalidQuery, "user_id must not be empty", field: "user_id", reason: "empty")
        }
        switch method {
        case "GET": return .user(userID: id)
        case "DELETE": return .forget(userID: id)
        default: return nil
        }
    }

    /// What the caller's key must allow; `nil` for the open routes.
    var action: Action? {
        switch self {
        case .track, .batch, .identify: .write
        case .forget: .forget
        case .query, .stats, .sources, .user, .funnelGet, .funnelPost: .read
        case .health, .metrics: nil
        }
    }

    var bodyBytesMax: Int {
        self == .batch ? Self.batchBodyBytesMax : Self.smallBodyBytesMax
    }

    /// A short name for metrics and logs.
    var name: String {
        switch self {
        case .track: "track"
        case .batch: "batch"
        case .identify: "identify"
        case .forget: "forget"
        case .query: "query"
        case .stats: "stats"
        case .sources: "sources"
        case .user: "user"
        case .funnelGet, .funnelPost: "funnel"
        case .health: "health"
        case .metrics: "metrics"
        }
    }
}
