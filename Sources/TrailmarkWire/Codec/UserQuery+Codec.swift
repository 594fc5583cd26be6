/// Per-user helpers (`Proto/trailmark.tmidl`):
///
///     message UserQuery  { string user_id = 1; optional string conversion_event = 2;
///                          uint32 prelogin_limit = 3 [default = 1000]; }
///     message FirstTouch { string event = 1; sint64 timestamp = 2; string source = 3;
///                          string medium = 4; optional string campaign = 5; }
///     message UserResult { string user_id = 1; repeated string anonymous_ids = 2;
///                          optional FirstTouch first_touch = 3; EventColumns prelogin = 4;
///                          optional string conversion_event = 5;
///                          optional sint64 time_to_conversion = 6; }
extension UserQuery: WireMessage {
    /// The value of `prelogin_limit` when the field is absent.
    public static let preloginLimitDefault: UInt32 = 1000

    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(userID: "")
        while let f = try r.nextField() {
            switch f.number {
            case 1: userID = try r.readString(f, "user_id", maxBytes: r.limits.userIDBytesMax)
            case 2: conversionEvent = try r.readString(f, "conversion_event", maxBytes: r.limits.eventNameBytesMax)
            case 3: preloginLimit = try r.readUInt32(f, "prelogin_limit")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if !userID.isEmpty { w.writeString(1, userID) }
        if let conversionEvent { w.writeString(2, conversionEvent) }
        if preloginLimit != Self.preloginLimitDefault { w.writeUInt64(3, UInt64(preloginLimit)) }
    }
}

extension FirstTouch: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(event: "", timestamp: 0, source: "", medium: "", campaign: nil)
        let maxBytes = r.limits.stringBytesMax
        while let f = try r.nextField() {
            switch f.number {
            case 1: event = try r.readString(f, "event", maxBytes: r.limits.eventNameBytesMax)
            case 2: timestamp = try r.readSInt64(f, "timestamp")
            case 3: source = try r.readString(f, "source", maxBytes: maxBytes)
            case 4: medium = try r.readString(f, "medium", maxBytes: maxBytes)
            case 5: campaign = try r.readString(f, "campaign", maxBytes: maxBytes)
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if !event.isEmpty { w.writeString(1, event) }
        if timestamp != 0 { w.writeSInt64(2, timestamp) }
        if !source.isEmpty { w.writeString(3, source) }
        if !medium.isEmpty { w.writeString(4, medium) }
        if let campaign { w.writeString(5, campaign) }
    }
}

extension UserResult: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(userID: "", anonymousIDs: [], firstTouch: nil, prelogin: [])
        while let f = try r.nextField() {
            switch f.number {
            case 1: userID = try r.readString(f, "user_id", maxBytes: r.limits.userIDBytesMax)
            case 2:
                try r.checkCount(anonymousIDs.count, r.limits.repeatedCountMax, "anonymous_ids")
                anonymousIDs.append(try r.readString(f, "anonymous_ids", maxBytes: r.limits.anonymousIDBytesMax))
            case 3:
                firstTouch = try r.readMessage(f, "first_touch") { (r: inout WireReader) throws(WireError) in
                    try FirstTouch(decoding: &r)
                }
            case 4: prelogin = try EventRowsCodec.decode(f, "prelogin", &r)
            case 5: conversionEvent = try r.readString(f, "conversion_event", maxBytes: r.limits.eventNameBytesMax)
            case 6: timeToConversion = try r.readSInt64(f, "time_to_conversion")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if !userID.isEmpty { w.writeString(1, userID) }
        for a in anonymousIDs { w.writeString(2, a) }
        if let firstTouch { w.writeMessage(3) { w in firstTouch.encode(into: &w) } }
        EventRowsCodec.encode(prelogin, field: 4, into: &w)
        if let conversionEvent { w.writeString(5, conversionEvent) }
        if let timeToConversion { w.writeSInt64(6, timeToConversion) }
    }
}
