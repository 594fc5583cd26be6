import TrailmarkWire

/// Everything a server answers: RPC handlers by exact path and plain HTTP routes by
/// method and path prefix. Built once before `TransportServer.start`, immutable after.
public struct TransportRouter: Sendable {
    private(set) var rpcHandlers: [String: RPCHandler] = [:]
    private(set) var httpRoutes: [HTTPRoute] = []
    /// Called once per RPC, on its connection's event loop, when the server sends the
    /// call's status (`grpc-status`), whoever decided it: the handler, or the transport
    /// rejecting the call before or around it (bad framing, a missing message, an expired
    /// `grpc-timeout`, an unknown method). `method` is the registered path, or nil for a
    /// path no handler serves (so a metric label cannot grow with what peers send). Must
    /// be cheap and must not block.
    public var rpcEnded: (@Sendable (_ method: String?, _ status: StatusCode) -> Void)?

    public init() {}

    /// Registers `handler` at `path`, which must look like `/trailmark.v1.<Service>/<Method>`
    /// (a programmer error otherwise). Re-registering a path replaces the handler.
    public mutating func register(_ path: String, _ handler: RPCHandler) {
        precondition(Self.isRPCPath(path), "RPC path \(path) is not /<package>.<Service>/<Method>")
        rpcHandlers[path] = handler
    }

    /// Registers a plain HTTP route (see `HTTPRoute`).
    public mutating func route(_ route: HTTPRoute) {
        precondition(route.pathPrefix.hasPrefix("/"), "HTTP path prefix must start with /")
        httpRoutes.append(route)
        httpRoutes.sort { $0.pathPrefix.utf8.count > $1.pathPrefix.utf8.count }
    }

    /// Shorthand for `route(HTTPRoute(...))`.
    public mutating func route(_ method: String?, _ pathPrefix: String, bodyBytesMax: Int = 1 << 20,
                               _ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        route(HTTPRoute(method: method, pathPrefix: pathPrefix, bodyBytesMax: bodyBytesMax, handler: handler))
    }

    func rpcHandler(for path: String) -> RPCHandler? { rpcHandlers[path] }

    /// The route for a request, or nil (404). With a path match but no method match the
    /// result is `.methodNotAllowed` (405).
    func httpRoute(method: String, path: String) -> HTTPRouteMatch {
        var pathMatched = false
        for route in httpRoutes where path.hasPrefix(route.pathPrefix) {
            if route.method == nil || route.method == method { return .route(route) }
            pathMatched = true
        }
        return pathMatched ? .methodNotAllowed : .notFound
    }

    enum HTTPRouteMatch {
        case route(HTTPRoute), notFound, methodNotAllowed
    }

    /// `/a.b/C` shape: one leading slash, a dotted service name, one method segment.
    static func isRPCPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].isEmpty && parts[1].contains(".") && !parts[2].isEmpty
    }
}
