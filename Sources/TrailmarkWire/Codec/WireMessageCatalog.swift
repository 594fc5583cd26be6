/// Every top-level message type of schema v1 by its schema name, for tools that handle
/// messages generically: the golden-vector tests, the fuzzer and its regression replay.
public enum WireMessageCatalog {
    /// A message type and its schema name (`EventBatch`, …), in `Proto/trailmark.tmidl` order.
    public static let all: [(name: String, type: any (WireMessage & Hashable).Type)] = [
        ("EventBatch", EventBatch.self), ("BatchAck", BatchAck.self),
        ("IdentifyBatch", IdentifyBatch.self), ("IdentifyAck", IdentifyAck.self),
        ("ForgetRequest", ForgetRequest.self), ("ForgetResponse", ForgetResponse.self),
        ("EventsQuery", EventsQuery.self), ("EventsPage", EventsPage.self),
        ("StatsQuery", StatsQuery.self), ("StatsResult", StatsResult.self),
        ("SourcesQuery", SourcesQuery.self), ("SourcesResult", SourcesResult.self),
        ("UserQuery", UserQuery.self), ("UserResult", UserResult.self),
        ("FunnelQuery", FunnelQuery.self), ("FunnelResult", FunnelResult.self),
        ("HealthRequest", HealthRequest.self), ("HealthResponse", HealthResponse.self),
        ("StoredEventBatch", StoredEventBatch.self), ("StoredIdentifyBatch", StoredIdentifyBatch.self),
        ("StoredForget", StoredForget.self),
    ]

    /// The type named `name`, or `nil`.
    public static func type(named name: String) -> (any (WireMessage & Hashable).Type)? {
        all.first { $0.name == name }?.type
    }

    /// Decodes `buffer` as `type`; when it decodes, re-encodes the value and decodes that
    /// again. Returns `false` only when the second decode fails or re-encodes to other bytes
    /// (a codec bug; compared as bytes so that NaN payloads compare equal); rejected input
    /// is fine and returns `true`. The fuzzer's property.
    public static func decodeReencodeIsStable(
        _ buffer: UnsafeRawBufferPointer, as type: any (WireMessage & Hashable).Type, limits: WireLimits = .default
    ) -> Bool {
        stable(buffer, type, limits)
    }

    private static func stable<M: WireMessage & Hashable>(_ buffer: UnsafeRawBufferPointer, _: M.Type, _ limits: WireLimits) -> Bool {
        guard let first = try? M(decoding: buffer, limits: limits) else { return true }
        let bytes = first.encoded()
        guard let second = try? M(decoding: bytes, limits: limits) else { return false }
        return second.encoded() == bytes
    }
}
