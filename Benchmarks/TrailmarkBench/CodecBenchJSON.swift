import Foundation
import TrailmarkWire

/// The JSON gateway's shape of a batch (API.md `POST /v1/batch`), for the JSON anchors:
/// `Codable` for JSONEncoder/JSONDecoder, `object`/`events(fromSerialized:)` for
/// JSONSerialization. Both produce and accept the same JSON and the same `[Event]`.
struct JSONBatch: Codable {
    var events: [JSONEvent]
    var sent_at: Int64?

    init(_ batch: EventBatch) {
        events = batch.events.map(JSONEvent.init)
        sent_at = batch.sentAt
    }

    var object: [String: Any] {
        var o: [String: Any] = ["events": events.map(\.object)]
        if let sent_at { o["sent_at"] = sent_at }
        return o
    }

    static func events(fromSerialized data: Data) throws -> [Event] {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["events"] as? [[String: Any]] else { throw BenchFailure("bad JSON batch") }
        return try list.map { o in
            guard let name = o["event"] as? String else { throw BenchFailure("event without name") }
            var props = Properties()
            for (k, v) in (o["properties"] as? [String: Any]) ?? [:] {
                props.append(Property(k, try JSONValue(any: v).value))
            }
            props = Properties(props.entries.sorted { $0.key < $1.key })
            return Event(
                event: name, anonymousID: o["anonymous_id"] as? String ?? "", userID: o["user_id"] as? String,
                timestamp: (o["timestamp"] as? NSNumber)?.int64Value, sessionID: o["session_id"] as? String,
                eventID: o["event_id"] as? String, url: o["url"] as? String, path: o["path"] as? String,
                referrer: o["referrer"] as? String, properties: props)
        }
    }
}

struct JSONEvent: Codable {
    var event: String
    var anonymous_id: String
    var user_id: String?
    var timestamp: Int64?
    var session_id: String?
    var event_id: String?
    var url: String?
    var path: String?
    var referrer: String?
    var properties: [String: JSONValue]

    init(_ e: Event) {
        event = e.event
        anonymous_id = e.anonymousID
        user_id = e.userID
        timestamp = e.timestamp
        session_id = e.sessionID
        event_id = e.eventID
        url = e.url
        path = e.path
        referrer = e.referrer
        properties = Dictionary(uniqueKeysWithValues: e.properties.entries.map { ($0.key, JSONValue($0.value)) })
    }

    /// The model event; JSON objects are unordered, so properties come back sorted by key.
    var model: Event {
        Event(event: event, anonymousID: anonymous_id, userID: user_id, timestamp: timestamp, sessionID: session_id,
              eventID: event_id, url: url, path: path, referrer: referrer,
              properties: Properties(properties.map { Property($0.key, $0.value.value) }.sorted { $0.key < $1.key }))
    }

    var object: [String: Any] {
        var o: [String: Any] = ["event": event, "anonymous_id": anonymous_id]
        if let user_id { o["user_id"] = user_id }
        if let timestamp { o["timestamp"] = timestamp }
        if let session_id { o["session_id"] = session_id }
        if let event_id { o["event_id"] = event_id }
        if let url { o["url"] = url }
        if let path { o["path"] = path }
        if let referrer { o["referrer"] = referrer }
        if !properties.isEmpty { o["properties"] = properties.mapValues(\.any) }
        return o
    }
}

/// A JSON property value keeping int and double apart, as the gateway does.
struct JSONValue: Codable {
    var value: PropertyValue

    init(_ value: PropertyValue) { self.value = value }

    init(any: Any) throws {
        switch any {
        case is NSNull: value = .null
        case let s as String: value = .string(s)
        case let n as NSNumber:
            switch String(cString: n.objCType) {
            case "c", "B": value = .bool(n.boolValue)
            case "d", "f": value = .double(n.doubleValue)
            default: value = .int(n.int64Value)
            }
        default: throw BenchFailure("unsupported JSON value")
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = .null }
        else if let b = try? c.decode(Bool.self) { value = .bool(b) }
        else if let i = try? c.decode(Int64.self) { value = .int(i) }
        else if let d = try? c.decode(Double.self) { value = .double(d) }
        else { value = .string(try c.decode(String.self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        }
    }

    var any: Any {
        switch value {
        case .null: NSNull()
        case .bool(let b): b
        case .int(let i): i
        case .double(let d): d
        case .string(let s): s
        }
    }
}
