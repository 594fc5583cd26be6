/// One plain HTTP request as the JSON gateway sees it, the same for HTTP/1.1 and HTTP/2.
public struct GatewayRequest: Sendable {
    public var method: String
    /// The path without the query string, not yet percent-decoded.
    public var path: String
    /// The raw query string (after `?`), not yet decoded.
    public var query: String
    /// Header fields with lower-cased names.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Splits `/v1/stats?metric=count` into path and query.
    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        if let q = target.firstIndex(of: "?") {
            self.init(method: method, path: String(target[..<q]), query: String(target[target.index(after: q)...]), headers: headers, body: body)
        } else {
            self.init(method: method, path: target, headers: headers, body: body)
        }
    }

    /// The first value of header `name` (lower-case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// The gateway's answer.
public struct GatewayResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ value: JSONValue, headers: [(name: String, value: String)] = []) -> GatewayResponse {
        GatewayResponse(status: status, headers: [(name: "content-type", value: "application/json")] + headers, body: JSONWriter.bytes(value))
    }

    public static func error(_ error: APIError, headers: [(name: String, value: String)] = []) -> GatewayResponse {
        var extra = headers
        if let retry = error.retryAfterSeconds { extra.append((name: "retry-after", value: String(retry))) }
        return json(error.httpStatus, error.jsonBody, headers: extra)
    }
}
