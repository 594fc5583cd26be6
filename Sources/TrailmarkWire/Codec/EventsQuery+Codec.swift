/// Event queries (`Proto/trailmark.tmidl`):
///
///     message EventsQuery { sint64 from = 1; sint64 to = 2; optional string event = 3;
///                           optional string source = 4; optional string medium = 5;
///                           optional string user_id = 6; optional string anonymous_id = 7;
///                           uint32 limit = 8 [default = 100]; SortOrder order = 9;
///                           optional string cursor = 10; }
///     message EventsPage  { EventColumns rows = 1; optional string next_cursor = 2; }
///
/// Rows travel as an `EventColumns` block whose `user` column carries each row's stitched user.
extension EventsQuery: WireMessage {
    /// The value of `limit` when the field is absent.
    public static let limitDefault: UInt32 = 100

    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(from: 0, to: 0)
        let maxBytes = r.limits.stringBytesMax
        while let f = try r.nextField() {
            switch f.number {
            case 1: from = try r.readSInt64(f, "from")
            case 2: to = try r.readSInt64(f, "to")
            case 3: event = try r.readString(f, "event", maxBytes: r.limits.eventNameBytesMax)
            case 4: source = try r.readString(f, "source", maxBytes: maxBytes)
            case 5: medium = try r.readString(f, "medium", maxBytes: maxBytes)
            case 6: userID = try r.readString(f, "user_id", maxBytes: r.limits.userIDBytesMax)
            case 7: anonymousID = try r.readString(f, "anonymous_id", maxBytes: r.limits.anonymousIDBytesMax)
            case 8: limit = try r.readUInt32(f, "limit")
            case 9: order = try r.readEnum(f, "order")
            case 10: cursor = try r.readString(f, "cursor", maxBytes: maxBytes)
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if from != 0 { w.writeSInt64(1, from) }
        if to != 0 { w.writeSInt64(2, to) }
        if let event { w.writeString(3, event) }
        if let source { w.writeString(4, source) }
        if let medium { w.writeString(5, medium) }
        if let userID { w.writeString(6, userID) }
        if let anonymousID { w.writeString(7, anonymousID) }
        if limit != Self.limitDefault { w.writeUInt64(8, UInt64(limit)) }
        if order != .ascending { w.writeEnum(9, order) }
        if let cursor { w.writeString(10, cursor) }
    }
}

/// Shared by `EventsPage.rows` and `UserResult.prelogin`: rows as an `EventColumns` block.
enum EventRowsCodec {
    /// Rows per block are bounded like a batch (`batchEventsMax`, above the 10,000-row page
    /// and 1,000-event pre-login maxima), so a response cannot make a reader reserve much.
    static func decode(_ f: FieldHeader, _ name: StaticString, _ r: inout WireReader) throws(WireError) -> [EventRow] {
        let countMax = r.limits.batchEventsMax
        return try r.readMessage(f, name) { (r: inout WireReader) throws(WireError) in
            let (events, users) = try EventColumnsDecoder.decode(&r, countMax: countMax, wantUsers: true)
            return zip(events, users).map { EventRow(event: $0, user: $1) }
        }
    }

    static func encode(_ rows: [EventRow], field: Int, into w: inout WireWriter) {
        w.writeMessage(field, omitIfEmpty: true) { w in
            EventColumns.encode(rows.map(\.event), users: rows.map(\.user), into: &w)
        }
    }
}

extension EventsPage: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(rows: [])
        while let f = try r.nextField() {
            switch f.number {
            case 1: rows = try EventRowsCodec.decode(f, "rows", &r)
            case 2: nextCursor = try r.readString(f, "next_cursor", maxBytes: r.limits.stringBytesMax)
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        EventRowsCodec.encode(rows, field: 1, into: &w)
        if let nextCursor { w.writeString(2, nextCursor) }
    }
}
