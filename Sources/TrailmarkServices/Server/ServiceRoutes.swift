import TrailmarkTransport
import TrailmarkWire

/// Plugs the services into the transport: every RPC of `Proto/trailmark.tmidl` and the
/// JSON gateway's HTTP routes, on one router, so both APIs call the same actors.
public enum ServiceRoutes {
    public static func register(hub: ServiceHub, gateway: JSONGateway, in router: inout TransportRouter) {
        RPCEndpoints(hub: hub).register(in: &router)
        // Every RPC's status as sent, in `trailmark_requests_total` next to the gateway's
        // `http:<route>` series: `rpc:<Service>/<Method>` (`rpc:unknown` for unserved
        // paths) and the gRPC status name.
        let metrics = hub.metrics
        let prefix = "/\(TrailmarkRPC.package)."
        router.rpcEnded = { path, status in
            let method = path.map { "rpc:" + $0.dropFirst(prefix.count) } ?? "rpc:unknown"
            metrics.request(method: method, status: status.description)
        }
        let handler: @Sendable (HTTPRequest) async -> HTTPResponse = { request in
            let response = await gateway.handle(GatewayRequest(
                method: request.method, path: request.path, query: request.query,
                headers: request.headers.fields, body: request.body))
            return HTTPResponse(status: response.status, headers: HeaderFields(response.headers), body: response.body)
        }
        // Body limits are enforced by the transport while the body streams in (API.md).
        router.route(nil, "/v1/batch", bodyBytesMax: JSONGateway.bodyBytesMax(method: "POST", path: "/v1/batch"), handler)
        router.route(nil, "/v1/", bodyBytesMax: JSONGateway.bodyBytesMax(method: "POST", path: "/v1/track"), handler)
        router.route(nil, "/metrics", bodyBytesMax: 0, handler)
    }
}

extension RequestAuthenticator {
    /// Authenticates an RPC from its `authorization` (and `origin`) metadata.
    func authenticate(_ context: RPCRequestContext, action: Action, method: RPCMethod) throws(APIError) -> StoredKey {
        try authenticate(authorization: context.headers["authorization"], origin: context.headers["origin"],
                         action: action, operation: method.path)
    }
}

/// The binary RPC handlers: decode with TrailmarkWire, authenticate like the gateway,
/// call the actor, encode the answer. `APIError`s become gRPC statuses through
/// `APIError.statusCode`, with `grpc-message` starting with the API.md code.
struct RPCEndpoints: Sendable {
    let hub: ServiceHub

    var auth: RequestAuthenticator { RequestAuthenticator(keys: hub.keys, limiter: hub.limiter) }
    var limits: WireLimits { hub.configuration.wireLimits }

    func register(in router: inout TransportRouter) {
        let hub = self.hub
        let auth = self.auth
        let limits = self.limits
        unaryEncoded(TrailmarkRPC.track, &router, action: .write) { (bytes, key) throws(APIError) -> [UInt8] in
            try await Self.track(bytes, key: key, hub: hub, auth: auth, limits: limits)
        }
        unary(TrailmarkRPC.identify, &router, action: .write, code: .invalidIdentify) { (batch: IdentifyBatch, key) throws(APIError) in
            try self.auth.limit(key, events: batch.identifies.count)
            return try await hub.identity.identify(batch, project: key.project)
        }
        unary(TrailmarkRPC.forget, &router, action: .forget, code: .invalidQuery) { (request: ForgetRequest, key) throws(APIError) in
            try self.auth.limit(key, events: 0)
            return try await hub.identity.forget(request, project: key.project)
        }
        let messageBytesMax = limits.messageBytesMax
        router.register(TrailmarkRPC.events.path, .unary { bytes, context in
            do {
                let key = try auth.authenticate(context, action: .read, method: TrailmarkRPC.events)
                try auth.limit(key, events: 0)
                let query: EventsQuery = try Self.decode(bytes, limits: limits, as: .invalidQuery)
                return try await Self.fittedPage(query, project: key.project, hub: hub, messageBytesMax: messageBytesMax).bytes
            } catch {
                throw Self.rpcError(error)
            }
        })
        unary(TrailmarkRPC.stats, &router, action: .read, code: .invalidQuery) { (q: StatsQuery, key) throws(APIError) in
            try self.auth.limit(key, events: 0)
            return try await hub.query.stats(q, project: key.project)
        }
        unary(TrailmarkRPC.sources, &router, action: .read, code: .invalidQuery) { (q: SourcesQuery, key) throws(APIError) in
            try self.auth.limit(key, events: 0)
            return try await hub.query.sources(q, project: key.project)
        }
        unary(TrailmarkRPC.user, &router, action: .read, code: .invalidQuery) { (q: UserQuery, key) throws(APIError) in
            try self.auth.limit(key, events: 0)
            return try await hub.query.user(q, project: key.project)
        }
        unary(TrailmarkRPC.funnel, &router, action: .read, code: .invalidQuery) { (q: FunnelQuery, key) throws(APIError) in
            try self.auth.limit(key, events: 0)
            return try await hub.query.funnel(q, project: key.project)
        }
        router.register(TrailmarkRPC.health.path, .unary { _, _ in hub.query.health().encoded() })
        registerTrackStream(in: &router)
        registerEventsStream(in: &router)
    }

    /// Registers a unary RPC: authenticate, decode `Request`, run `body`, encode the answer.
    private func unary<Request: WireMessage, Response: WireMessage>(
        _ method: RPCMethod, _ router: inout TransportRouter, action: Action, code: APIError.Code,
        _ body: @escaping @Sendable (Request, StoredKey) async throws(APIError) -> Response
    ) {
        let limits = self.limits
        unaryBytes(method, &router, action: action) { (bytes, key) throws(APIError) -> Response in
            let request: Request = try Self.decode(bytes, limits: limits, as: code)
            return try await body(request, key)
        }
    }

    /// A unary method whose body decodes the request bytes itself.
    private func unaryBytes<Response: WireMessage>(
        _ method: RPCMethod, _ router: inout TransportRouter, action: Action,
        _ body: @escaping @Sendable ([UInt8], StoredKey) async throws(APIError) -> Response
    ) {
        unaryEncoded(method, &router, action: action) { (bytes, key) throws(APIError) -> [UInt8] in try await body(bytes, key).encoded() }
    }

    /// A unary method whose body decodes the request and encodes the response itself.
    private func unaryEncoded(
        _ method: RPCMethod, _ router: inout TransportRouter, action: Action,
        _ body: @escaping @Sendable ([UInt8], StoredKey) async throws(APIError) -> [UInt8]
    ) {
        let auth = self.auth
        router.register(method.path, .unary { bytes, context in
            do {
                let key = try auth.authenticate(context, action: action, method: method)
                return try await body(bytes, key)
            } catch {
                throw Self.rpcError(error)
            }
        })
    }

    /// One `EventBatch` of `Track` or `TrackStream`, answered with its encoded `BatchAck`.
    /// A batch the fast path takes (`ScannedEventBatch`: valid, stored as sent) is never
    /// decoded into events; any other is decoded, so errors and normalisation are the
    /// ordinary path's.
    static func track(_ bytes: [UInt8], key: StoredKey, hub: ServiceHub, auth: RequestAuthenticator, limits: WireLimits) async throws(APIError) -> [UInt8] {
        if let scanned = ScannedEventBatch.scan(bytes, limits: limits) {
            try auth.limit(key, events: scanned.count)
            return try await hub.ingest.track(scanned: scanned, project: key.project, limits: limits)
        }
        let (batch, block) = try decodeBatch(bytes, limits: limits)
        try auth.limit(key, events: batch.events.count)
        return try await hub.ingest.track(consume batch, block: block, project: key.project).encoded()
    }

    /// Batches of one `TrackStream` processed at once: later batches are validated and
    /// appended while earlier ones wait for group commit; acks still go out in order.
    static let trackStreamWindow = 16

    /// `Ingest/TrackStream`: one `BatchAck` per `EventBatch`, in order, each once durable.
    /// Up to `trackStreamWindow` batches are in flight per stream; reading stops while the
    /// window is full (so HTTP/2 flow control pushes back on the client). The first failing
    /// batch ends the stream with its status after the acks of the batches before it.
    private func registerTrackStream(in router: inout TransportRouter) {
        let auth = self.auth
        let limits = self.limits
        let hub = self.hub
        router.register(TrailmarkRPC.trackStream.path, .bidirectional { requests, context, responses in
            let key: StoredKey
            do {
                key = try auth.authenticate(context, action: .write, method: TrailmarkRPC.trackStream)
            } catch {
                throw Self.rpcError(error)
            }
            let (acks, pending) = AsyncStream<Task<[UInt8], any Error>>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await ack in acks {
                        do { try await responses.write(try await ack.value) } catch { throw Self.rpcError(error) }
                    }
                }
                var window: [Task<[UInt8], any Error>] = []
                do {
                    for try await bytes in requests {
                        if window.count >= Self.trackStreamWindow { _ = try? await window.removeFirst().value }
                        let work = Task<[UInt8], any Error> {
                            try await Self.track(bytes, key: key, hub: hub, auth: auth, limits: limits)
                        }
                        window.append(work)
                        pending.yield(work)
                    }
                } catch {
                    pending.finish()
                    throw error
                }
                pending.finish()
                try await group.waitForAll()
            }
        })
    }

    /// `Query/EventsStream`: every matching row in `[from, to)`, in pages of at most `limit`
    /// rows (and at most one message size each), until no row is left; the last page has
    /// no `next_cursor`. A `cursor` in the request starts after that position.
    private func registerEventsStream(in router: inout TransportRouter) {
        let auth = self.auth
        let limits = self.limits
        let hub = self.hub
        router.register(TrailmarkRPC.eventsStream.path, .serverStreaming { bytes, context, responses in
            do {
                let key = try auth.authenticate(context, action: .read, method: TrailmarkRPC.eventsStream)
                try auth.limit(key, events: 0)
                var query: EventsQuery = try Self.decode(bytes, limits: limits, as: .invalidQuery)
                while true {
                    let (page, encoded) = try await Self.fittedPage(query, project: key.project, hub: hub, messageBytesMax: limits.messageBytesMax)
                    try await responses.write(encoded)
                    guard let cursor = page.nextCursor, !page.rows.isEmpty else { break }
                    query.cursor = cursor
                }
            } catch {
                throw Self.rpcError(error)
            }
        })
    }

    /// One page of events whose encoding fits in one message: when `limit` rows would be
    /// larger than `messageBytesMax`, asks again for proportionally fewer rows (the page
    /// then ends early, with a cursor). One row always fits (its fields are bounded).
    static func fittedPage(_ query: EventsQuery, project: String, hub: ServiceHub, messageBytesMax: Int) async throws(APIError) -> (page: EventsPage, bytes: [UInt8]) {
        var q = query
        while true {
            let page = try await hub.query.events(q, project: project)
            let bytes = page.encoded(capacity: 64 << 10)
            if bytes.count <= messageBytesMax || q.limit <= 1 { return (page, bytes) }
            let scaled = Double(q.limit) * Double(messageBytesMax) / Double(bytes.count) * 0.9
            q.limit = UInt32(max(1, min(Double(q.limit - 1), scaled.rounded(.down))))
        }
    }

    /// Decodes a request message; a wire error becomes the API error `code` naming the field.
    static func decode<M: WireMessage>(_ bytes: [UInt8], limits: WireLimits, as code: APIError.Code) throws(APIError) -> M {
        do { return try M(decoding: bytes, limits: limits) } catch { throw APIError.fromWire(error, as: code) }
    }

    /// An `EventBatch` and its encoded event block (for `IngestService.track(_:block:…)`).
    static func decodeBatch(_ bytes: [UInt8], limits: WireLimits) throws(APIError) -> (EventBatch, EventBlock?) {
        do { return try EventBatch.decodingKeepingBlock(bytes, limits: limits) } catch { throw APIError.fromWire(error, as: .invalidEvent) }
    }

    /// The one conversion of service errors to RPC statuses: `APIError.statusCode`, the
    /// API.md code first in `grpc-message`, and a retry hint in `grpc-retry-pushback-ms`.
    static func rpcError(_ error: any Error) -> any Error {
        guard let api = error as? APIError else { return error }
        var trailers = HeaderFields()
        if let retry = api.retryAfterSeconds { trailers.add("grpc-retry-pushback-ms", String(retry * 1000)) }
        return RPCError(api.statusCode, api.grpcMessage, trailers: trailers)
    }
}
