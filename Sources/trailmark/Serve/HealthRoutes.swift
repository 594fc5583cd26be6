import TrailmarkTransport

/// The health endpoints every server has: the RPC `/trailmark.v1.Health/Check` (empty
/// request, empty response) and `GET /v1/health` → `{"status":"ok"}`. Services extend
/// the JSON answer later (`events`, `replaying`).
enum HealthRoutes {
    static func register(in router: inout TransportRouter) {
        router.register("/trailmark.v1.Health/Check", .unary { _, _ in [] })
        router.route("GET", "/v1/health", bodyBytesMax: 0) { _ in .json(200, #"{"status":"ok"}"#) }
    }
}
