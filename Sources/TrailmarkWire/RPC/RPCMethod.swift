/// One RPC of the Trailmark schema (`Proto/trailmark.tmidl`), served at
/// `/trailmark.v1.<Service>/<Method>` with content type `application/grpc+trailmark`
/// (`Proto/WIRE.md` § 1).
public struct RPCMethod: Hashable, Sendable, CustomStringConvertible {
    /// How many messages each side sends.
    public enum Kind: Hashable, Sendable {
        case unary, clientStreaming, serverStreaming, bidirectionalStreaming
    }

    /// Service name without the package (`Ingest`).
    public let service: String
    /// Method name (`Track`).
    public let method: String
    public let kind: Kind

    public init(service: String, method: String, kind: Kind) {
        self.service = service
        self.method = method
        self.kind = kind
    }

    /// The HTTP/2 `:path`: `/trailmark.v1.Ingest/Track`.
    public var path: String { "/\(TrailmarkRPC.package).\(service)/\(method)" }

    public var description: String { path }
}

/// Every RPC of schema v1. Request and response message types are named in each doc comment.
public enum TrailmarkRPC {
    /// The schema package, the first component of every method path.
    public static let package = "trailmark.v1"
    /// The `content-type` of requests and responses.
    public static let contentType = "application/grpc+trailmark"

    /// `EventBatch` → `BatchAck`, one batch per call.
    public static let track = RPCMethod(service: "Ingest", method: "Track", kind: .unary)
    /// stream `EventBatch` → stream `BatchAck`: one ack per batch, in batch order, each sent
    /// once its batch is durable.
    public static let trackStream = RPCMethod(service: "Ingest", method: "TrackStream", kind: .bidirectionalStreaming)
    /// `IdentifyBatch` → `IdentifyAck`.
    public static let identify = RPCMethod(service: "Identity", method: "Identify", kind: .unary)
    /// `ForgetRequest` → `ForgetResponse`.
    public static let forget = RPCMethod(service: "Identity", method: "Forget", kind: .unary)
    /// `EventsQuery` → `EventsPage` (one page of at most `limit` rows).
    public static let events = RPCMethod(service: "Query", method: "Events", kind: .unary)
    /// `EventsQuery` → stream `EventsPage`: every matching row (up to `limit`) in several
    /// pages; the last one carries `next_cursor` when more rows match.
    public static let eventsStream = RPCMethod(service: "Query", method: "EventsStream", kind: .serverStreaming)
    /// `StatsQuery` → `StatsResult`.
    public static let stats = RPCMethod(service: "Query", method: "Stats", kind: .unary)
    /// `SourcesQuery` → `SourcesResult`.
    public static let sources = RPCMethod(service: "Query", method: "Sources", kind: .unary)
    /// `UserQuery` → `UserResult`.
    public static let user = RPCMethod(service: "Query", method: "User", kind: .unary)
    /// `FunnelQuery` → `FunnelResult`.
    public static let funnel = RPCMethod(service: "Query", method: "Funnel", kind: .unary)
    /// `HealthRequest` → `HealthResponse`.
    public static let health = RPCMethod(service: "Health", method: "Check", kind: .unary)

    /// Every method, in schema order.
    public static let all: [RPCMethod] = [track, trackStream, identify, forget, events, eventsStream, stats, sources, user, funnel, health]
}
