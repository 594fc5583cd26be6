import TrailmarkWire

/// Decodes the JSON bodies of API.md's write endpoints into wire messages.
///
/// Only types and shapes are checked here; the field limits of SEMANTICS §1 are checked
/// by `EventValidator`, which the binary RPC shares, so both APIs reject the same input.
public enum JSONRequests {
    /// `POST /v1/track`: one event, with an optional `sent_at`.
    public static func track(_ body: [UInt8]) throws(APIError) -> EventBatch {
        let root = try parse(body)
        let reader = try JSONObjectReader(root, path: "", code: .invalidEvent)
        let event = try decodeEvent(root, path: "")
        return EventBatch(events: [event], sentAt: try reader.time("sent_at"))
    }

    /// `POST /v1/batch`: `{"events": [...], "sent_at"?}` with 1...`eventsMax` events.
    public static func batch(_ body: [UInt8], eventsMax: Int = 1000) throws(APIError) -> EventBatch {
        let root = try parse(body)
        let reader = try JSONObjectReader(root, path: "", code: .invalidEvent)
        guard let items = try reader.array("events") else {
            throw APIError(.invalidEvent, "events is required", field: "events", reason: "required")
        }
        guard !items.isEmpty else {
            throw APIError(.invalidEvent, "events must hold at least one event", field: "events", reason: "empty")
        }
        guard items.count <= eventsMax else {
            throw APIError(.invalidEvent, "events holds \(items.count) events; at most \(eventsMax) are allowed per batch", field: "events", reason: "too_many")
        }
        var events: [Event] = []
        events.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            events.append(try decodeEvent(item, path: "events[\(i)]"))
        }
        return EventBatch(events: events, sentAt: try reader.time("sent_at"))
    }

    /// `POST /v1/identify`.
    public static func identify(_ body: [UInt8]) throws(APIError) -> IdentifyBatch {
        let root = try parse(body)
        let reader = try JSONObjectReader(root, path: "", code: .invalidIdentify)
        let identify = Identify(
            anonymousID: try reader.requiredString("anonymous_id"),
            userID: try reader.requiredString("user_id"),
            traits: try reader.properties("traits"),
            timestamp: try reader.time("timestamp")
        )
        return IdentifyBatch(identifies: [identify], sentAt: try reader.time("sent_at"))
    }

    static func parse(_ body: [UInt8]) throws(APIError) -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            throw APIError(.invalidJSON, error.description, reason: "syntax")
        }
    }

    static func decodeEvent(_ value: JSONValue, path: String) throws(APIError) -> Event {
        let r = try JSONObjectReader(value, path: path, code: .invalidEvent)
        return Event(
            event: try r.requiredString("event"),
            anonymousID: try r.string("anonymous_id") ?? "",
            userID: try r.string("user_id"),
            timestamp: try r.time("timestamp"),
            sessionID: try r.string("session_id"),
            eventID: try r.string("event_id"),
            url: try r.string("url"),
            path: try r.string("path"),
            referrer: try r.string("referrer"),
            properties: try r.properties("properties")
        )
    }
}
