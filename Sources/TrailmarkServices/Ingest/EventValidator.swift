import TrailmarkWire

/// Checks events and identify calls against SEMANTICS §1, shared by the binary RPC and the
/// JSON gateway so both reject the same input with the same field path.
///
/// Normalisation (documented in README § Input): an empty `session_id`, `event_id`, `url`,
/// `path` or `referrer` is the same as an absent one; an empty `user_id` is an error
/// (SEMANTICS gives it 1..256 bytes). Times must lie in years 1970...9999.
public struct EventValidator: Sendable {
    public var limits: WireLimits
    /// Largest timestamp accepted: 9999-12-31T23:59:59.999999Z.
    public static let timestampMax = WireLimits.timestampMax

    public init(limits: WireLimits = .default) { self.limits = limits }

    /// Validates `event` in place (normalising empty optionals), naming fields under `path`.
    /// Returns whether it changed a client field (normalised an empty optional); the server
    /// fields it clears (`received_at`, attribution, `seq`) do not count.
    @discardableResult
    public func validate(_ event: inout Event, path makePath: @autoclosure () -> String) throws(APIError) -> Bool {
        // Field paths are built only for an error message (ingest validates every event).
        func field(_ name: String) -> String { let path = makePath(); return path.isEmpty ? name : "\(path).\(name)" }
        func fail(_ name: String, _ message: String, _ reason: String) -> APIError {
            APIError(.invalidEvent, "\(field(name)) \(message)", field: field(name), reason: reason)
        }
        let nameBytes = event.event.utf8.count
        guard nameBytes >= 1 else { throw fail("event", "must not be empty", "empty") }
        guard nameBytes <= limits.eventNameBytesMax else {
            throw fail("event", "is \(nameBytes) bytes; at most \(limits.eventNameBytesMax) are allowed", "too_long")
        }
        try checkLength(event.anonymousID, limits.anonymousIDBytesMax, field("anonymous_id"), .invalidEvent)
        if let user = event.userID {
            guard !user.isEmpty else { throw fail("user_id", "must not be empty when present (omit it instead)", "empty") }
            try checkLength(user, limits.userIDBytesMax, field("user_id"), .invalidEvent)
        }
        guard !event.anonymousID.isEmpty || event.userID != nil else {
            throw fail("anonymous_id", "or user_id must be set", "required")
        }
        var changed = false
        try normalise(&event.sessionID, limits.sessionIDBytesMax, field("session_id"), &changed)
        try normalise(&event.eventID, limits.eventIDBytesMax, field("event_id"), &changed)
        try normalise(&event.url, limits.urlBytesMax, field("url"), &changed)
        try normalise(&event.path, limits.urlBytesMax, field("path"), &changed)
        try normalise(&event.referrer, limits.urlBytesMax, field("referrer"), &changed)
        if let t = event.timestamp {
            try checkTime(t, field("timestamp"), .invalidEvent)
        }
        try checkProperties(event.properties, field("properties"), .invalidEvent)
        // Server fields are ours to set: whatever a client sent is dropped.
        event.receivedAt = nil
        event.attribution = nil
        event.seq = nil
        return changed
    }

    /// Validates one identify call (SEMANTICS §1: both ids non-empty).
    public func validate(_ identify: Identify, path makePath: @autoclosure () -> String) throws(APIError) {
        func field(_ name: String) -> String { let path = makePath(); return path.isEmpty ? name : "\(path).\(name)" }
        guard !identify.anonymousID.isEmpty else {
            throw APIError(.invalidIdentify, "\(field("anonymous_id")) must not be empty", field: field("anonymous_id"), reason: "empty")
        }
        guard !identify.userID.isEmpty else {
            throw APIError(.invalidIdentify, "\(field("user_id")) must not be empty (identify(\"\") is rejected)", field: field("user_id"), reason: "empty")
        }
        try checkLength(identify.anonymousID, limits.anonymousIDBytesMax, field("anonymous_id"), .invalidIdentify)
        try checkLength(identify.userID, limits.userIDBytesMax, field("user_id"), .invalidIdentify)
        if let t = identify.timestamp { try checkTime(t, field("timestamp"), .invalidIdentify) }
        try checkProperties(identify.traits, field("traits"), .invalidIdentify)
    }

    /// Checks a time is within years 1970...9999.
    public func checkTime(_ t: Int64, _ makePath: @autoclosure () -> String, _ code: APIError.Code) throws(APIError) {
        guard t >= 0 && t <= Self.timestampMax else {
            let path = makePath()
            throw APIError(code, "\(path) is \(t) µs, outside 1970-01-01...9999-12-31", field: path, reason: "out_of_range")
        }
    }

    private func checkLength(_ s: String, _ max: Int, _ makePath: @autoclosure () -> String, _ code: APIError.Code) throws(APIError) {
        let n = s.utf8.count
        guard n <= max else {
            let path = makePath()
            throw APIError(code, "\(path) is \(n) bytes; at most \(max) are allowed", field: path, reason: "too_long")
        }
    }

    /// An empty optional becomes absent (`changed` is set); a present one is length-checked.
    private func normalise(_ s: inout String?, _ max: Int, _ path: @autoclosure () -> String, _ changed: inout Bool) throws(APIError) {
        guard let value = s else { return }
        guard !value.isEmpty else {
            s = nil
            changed = true
            return
        }
        try checkLength(value, max, path(), .invalidEvent)
    }

    /// Properties: keys ..256 bytes, at most 64 KiB encoded. "Encoded" is measured as the
    /// JSON text of the map without white space, which the bytes of keys and values plus
    /// 6 per entry bound from above (quotes, colon, comma, and a literal's length).
    private func checkProperties(_ props: Properties, _ makePath: @autoclosure () -> String, _ code: APIError.Code) throws(APIError) {
        var path: String { makePath() }
        guard props.count <= limits.propertiesCountMax else {
            throw APIError(code, "\(path) has \(props.count) entries; at most \(limits.propertiesCountMax) are allowed", field: path, reason: "too_many")
        }
        var size = 2
        for p in props {
            let keyBytes = p.key.utf8.count
            guard keyBytes <= limits.propertyKeyBytesMax else {
                throw APIError(code, "\(path).\(p.key.prefix(32)) key is \(keyBytes) bytes; at most \(limits.propertyKeyBytesMax) are allowed",
                               field: "\(path).\(p.key.prefix(64))", reason: "key_too_long")
            }
            size += keyBytes + 6
            switch p.value {
            case .string(let s): size += s.utf8.count
            case .int: size += 24
            case .double(let d):
                guard d.isFinite else {
                    throw APIError(code, "\(path).\(p.key.prefix(32)) is not a finite number (JSON has no NaN or infinity)",
                                   field: "\(path).\(p.key.prefix(64))", reason: "not_finite")
                }
                size += 24
            case .bool, .null: size += 5
            }
        }
        guard size <= limits.propertiesBytesMax else {
            throw APIError(code, "\(path) is about \(size) bytes encoded; at most \(limits.propertiesBytesMax) are allowed", field: path, reason: "too_large")
        }
    }
}
