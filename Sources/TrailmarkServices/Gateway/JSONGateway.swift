import TrailmarkWire

/// The JSON gateway of API.md: authenticates, checks rights, origin, rate limits, content
/// type and body size, then calls the same service actors as the binary RPC.
///
/// Transport-agnostic: the transport hands over a `GatewayRequest` (HTTP/1.1 or HTTP/2)
/// and writes back the `GatewayResponse`. Checks run in this order, so each failure has
/// one answer: route (404) → key (401) → right (403 `forbidden`) → origin for `pk_`
/// keys (403 `origin_not_allowed`) → content type (415) → body size (413) → body (400)
/// → rate limit (429) → the service.
public struct JSONGateway: Sendable {
    public let hub: ServiceHub
    /// Renders `/metrics` (Prometheus text); set by the executable that owns the registry.
    public let metricsText: @Sendable () -> [UInt8]

    public init(hub: ServiceHub, metricsText: @escaping @Sendable () -> [UInt8] = { [] }) {
        self.hub = hub
        self.metricsText = metricsText
    }

    /// The body limit for a method and path, so the transport can refuse a larger body
    /// while it streams in (API.md: 1 MiB, 5 MiB for `/v1/batch`).
    public static func bodyBytesMax(method: String, path: String) -> Int {
        ((try? GatewayRoute.match(method: method, path: path)) ?? nil)?.bodyBytesMax ?? GatewayRoute.smallBodyBytesMax
    }

    public func handle(_ request: GatewayRequest) async -> GatewayResponse {
        if request.method == "OPTIONS" { return preflight(request) }
        let route: GatewayRoute
        do {
            guard let matched = try GatewayRoute.match(method: request.method, path: request.path) else {
                return finish("unknown", .error(APIError(.notFound, "no route \(request.method) \(request.path.prefix(200))")))
            }
            route = matched
        } catch {
            return finish("unknown", .error(error))
        }
        switch route {
        case .health:
            return finish(route.name, .json(200, JSONResponses.health(hub.query.health())))
        case .metrics:
            return finish(route.name, GatewayResponse(status: 200, headers: [(name: "content-type", value: "text/plain; version=0.0.4")], body: metricsText()))
        default:
            break
        }
        var cors: [(name: String, value: String)] = []
        do {
            let key = try authenticate(request, route: route)
            if key.kind == .public, let origin = request.header("origin") {
                cors = [(name: "access-control-allow-origin", value: origin), (name: "vary", value: "Origin")]
            }
            let response = try await dispatch(route, request: request, key: key)
            return finish(route.name, GatewayResponse(status: response.status, headers: response.headers + cors, body: response.body))
        } catch {
            return finish(route.name, .error(error, headers: cors))
        }
    }

    private func finish(_ route: String, _ response: GatewayResponse) -> GatewayResponse {
        hub.metrics.request(method: "http:\(route)", status: String(response.status))
        return response
    }

    private var auth: RequestAuthenticator { RequestAuthenticator(keys: hub.keys, limiter: hub.limiter) }

    private func authenticate(_ request: GatewayRequest, route: GatewayRoute) throws(APIError) -> StoredKey {
        try auth.authenticate(authorization: request.header("authorization"), origin: request.header("origin"),
                              action: route.action ?? .read, operation: route.name)
    }

    /// CORS preflight for browser SDKs: allowed when the origin is on some public key's
    /// allowlist (the browser sends no key with a preflight).
    private func preflight(_ request: GatewayRequest) -> GatewayResponse {
        guard let origin = request.header("origin"),
            hub.keys.list().contains(where: { $0.kind == .public && !$0.revoked && $0.origins.contains(origin) })
        else {
            return finish("preflight", .error(APIError(.originNotAllowed, "origin is not on any public key's allowlist")))
        }
        return finish("preflight", GatewayResponse(status: 204, headers: [
            (name: "access-control-allow-origin", value: origin),
            (name: "access-control-allow-methods", value: "GET, POST, DELETE, OPTIONS"),
            (name: "access-control-allow-headers", value: "Authorization, Content-Type"),
            (name: "access-control-max-age", value: "600"),
            (name: "vary", value: "Origin"),
        ]))
    }

    /// JSON bodies: `application/json` (UTF-8), `text/plain` (what `navigator.sendBeacon`
    /// sends), or no content type at all.
    private func checkBody(_ request: GatewayRequest, route: GatewayRoute) throws(APIError) {
        if let type = request.header("content-type") {
            let parts = type.lowercased().split(separator: ";").map { $0.filter { $0 != " " } }
            guard let media = parts.first, media == "application/json" || media == "text/plain" else {
                throw APIError(.unsupportedMediaType, "send JSON with Content-Type: application/json (got \(type.prefix(100)))")
            }
            for param in parts.dropFirst() where param.hasPrefix("charset=") {
                guard ["charset=utf-8", "charset=\"utf-8\""].contains(param) else {
                    throw APIError(.unsupportedMediaType, "only UTF-8 JSON is accepted (got \(param.prefix(60)))")
                }
            }
        }
        guard request.body.count <= route.bodyBytesMax else {
            throw APIError(.payloadTooLarge, "the body is \(request.body.count) bytes; at most \(route.bodyBytesMax) are allowed here", reason: "too_large")
        }
    }

    private func limit(_ key: StoredKey, events: Int) throws(APIError) {
        try auth.limit(key, events: events)
    }

    private func dispatch(_ route: GatewayRoute, request: GatewayRequest, key: StoredKey) async throws(APIError) -> GatewayResponse {
        let project = key.project
        switch route {
        case .track:
            try checkBody(request, route: route)
            let batch = try JSONRequests.track(request.body)
            try limit(key, events: 1)
            let ack = try await hub.ingest.track(consume batch, project: project, single: true)
            return .json(202, ["ok": true, "event_id": .string(ack.eventIDs.first ?? ""), "duplicate": .bool(ack.duplicates > 0)])
        case .batch:
            try checkBody(request, route: route)
            let batch = try JSONRequests.batch(request.body, eventsMax: hub.configuration.jsonBatchEventsMax)
            try limit(key, events: batch.events.count)
            let ack = try await hub.ingest.track(consume batch, project: project)
            return .json(202, ["ok": true, "accepted": .int(Int64(ack.accepted)), "duplicates": .int(Int64(ack.duplicates)),
                               "event_ids": .array(ack.eventIDs.map(JSONValue.string))])
        case .identify:
            try checkBody(request, route: route)
            let batch = try JSONRequests.identify(request.body)
            try limit(key, events: 1)
            _ = try await hub.identity.identify(batch, project: project, single: true)
            return .json(200, ["ok": true])
        case .forget(let userID):
            try limit(key, events: 0)
            let result = try await hub.identity.forget(ForgetRequest(userID: userID), project: project)
            return .json(200, ["ok": true, "events_hidden": .int(Int64(result.eventsHidden))])
        case .query:
            let q = try QueryRequests.events(QueryString(request.query))
            try limit(key, events: 0)
            return .json(200, JSONResponses.events(try await hub.query.events(q, project: project), project: project))
        case .stats:
            let q = try QueryRequests.stats(QueryString(request.query))
            try limit(key, events: 0)
            return .json(200, JSONResponses.stats(try await hub.query.stats(q, project: project)))
        case .sources:
            let q = try QueryRequests.sources(QueryString(request.query))
            try limit(key, events: 0)
            return .json(200, JSONResponses.sources(try await hub.query.sources(q, project: project)))
        case .user(let userID):
            let q = try QueryRequests.user(id: userID, QueryString(request.query))
            try limit(key, events: 0)
            return .json(200, JSONResponses.user(try await hub.query.user(q, project: project), project: project))
        case .funnelGet:
            let q = try QueryRequests.funnel(QueryString(request.query))
            try limit(key, events: 0)
            return .json(200, JSONResponses.funnel(try await hub.query.funnel(q, project: project)))
        case .funnelPost:
            try checkBody(request, route: route)
            let q = try FunnelRequest.decode(request.body)
            try limit(key, events: 0)
            return .json(200, JSONResponses.funnel(try await hub.query.funnel(q, project: project)))
        case .health, .metrics:
            return .error(APIError(.internalError, "unreachable route"))
        }
    }
}
