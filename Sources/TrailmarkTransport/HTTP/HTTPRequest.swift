/// A plain HTTP request as a route handler sees it — the same over HTTP/2 and HTTP/1.1.
/// The body is complete and already within the route's `bodyBytesMax`.
public struct HTTPRequest: Sendable {
    /// Upper-case method, e.g. `GET`, `POST`, `OPTIONS`.
    public var method: String
    /// The path without the query string, e.g. `/v1/users/u1`.
    public var path: String
    /// The raw query string after `?` (not decoded), or `""`.
    public var query: String
    /// Request headers, lower-case names (`:authority` appears as `host`).
    public var headers: HeaderFields
    public var body: [UInt8]
    /// The peer's address, `ip:port`.
    public var peer: String

    public init(method: String, path: String, query: String, headers: HeaderFields, body: [UInt8], peer: String) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.peer = peer
    }
}

/// A plain HTTP response. `content-length` is added by the transport.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Response headers; lower-case names. Hop-by-hop headers (`connection`, …) are dropped on HTTP/2.
    public var headers: HeaderFields
    public var body: [UInt8]

    public init(status: Int, headers: HeaderFields = HeaderFields(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from UTF-8 text, with `content-type: application/json`.
    public static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "application/json"], body: Array(text.utf8))
    }

    /// The API.md error body `{"error": code, "message": message}`.
    static func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        json(status, #"{"error":"\#(code)","message":"\#(message)"}"#)
    }
}

/// A plain HTTP route: requests whose method matches (nil: any method) and whose path
/// starts with `pathPrefix` go to `handler`. The longest matching prefix wins.
public struct HTTPRoute: Sendable {
    public var method: String?
    public var pathPrefix: String
    /// Largest request body accepted, enforced while the body streams in (larger → 413
    /// `payload_too_large` before the rest is read).
    public var bodyBytesMax: Int
    public var handler: @Sendable (HTTPRequest) async -> HTTPResponse

    public init(method: String?, pathPrefix: String, bodyBytesMax: Int,
                handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.method = method
        self.pathPrefix = pathPrefix
        self.bodyBytesMax = bodyBytesMax
        self.handler = handler
    }
}
