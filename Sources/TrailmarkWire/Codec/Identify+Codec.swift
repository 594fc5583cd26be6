/// Identity messages (`Proto/trailmark.tmidl`):
///
///     message Identify            { string anonymous_id = 1; string user_id = 2;
///                                   repeated Property traits = 3; optional sint64 timestamp = 4;
///                                   optional uint64 seq = 5; optional sint64 received_at = 6; }
///     message IdentifyBatch       { repeated Identify identifies = 1; optional sint64 sent_at = 2; }
///     message IdentifyAck         { uint32 accepted = 1; }
///     message ForgetRequest       { string user_id = 1; }
///     message ForgetResponse      { uint64 events_hidden = 1; }
///     message StoredIdentifyBatch { string project = 1; repeated Identify identifies = 2; }
///     message StoredForget        { string project = 1; string user_id = 2; sint64 requested_at = 3; }
extension Identify: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(anonymousID: "", userID: "")
        var traits = PropertyMapBuilder()
        while let f = try r.nextField() {
            switch f.number {
            case 1: anonymousID = try r.readString(f, "anonymous_id", maxBytes: r.limits.anonymousIDBytesMax)
            case 2: userID = try r.readString(f, "user_id", maxBytes: r.limits.userIDBytesMax)
            case 3: try PropertyCodec.decodeEntry(f, "traits", into: &traits, &r)
            case 4: timestamp = try r.readSInt64(f, "timestamp")
            case 5: seq = try r.readUInt64(f, "seq")
            case 6: receivedAt = try r.readSInt64(f, "received_at")
            default: try r.skip(f)
            }
        }
        self.traits = traits.properties
    }

    public func encode(into w: inout WireWriter) {
        if !anonymousID.isEmpty { w.writeString(1, anonymousID) }
        if !userID.isEmpty { w.writeString(2, userID) }
        PropertyCodec.encode(traits, field: 3, into: &w)
        if let timestamp { w.writeSInt64(4, timestamp) }
        if let seq { w.writeUInt64(5, seq) }
        if let receivedAt { w.writeSInt64(6, receivedAt) }
    }
}

/// Shared by `IdentifyBatch` and `StoredIdentifyBatch`: one `Identify` per occurrence.
enum IdentifyListCodec {
    static func append(_ f: FieldHeader, to list: inout [Identify], _ r: inout WireReader) throws(WireError) {
        try r.checkCount(list.count, r.limits.batchIdentifiesMax, "identifies")
        list.append(try r.readMessage(f, "identifies", index: list.count) { (r: inout WireReader) throws(WireError) in
            try Identify(decoding: &r)
        })
    }

    static func encode(_ list: [Identify], field: Int, into w: inout WireWriter) {
        for identify in list { w.writeMessage(field) { w in identify.encode(into: &w) } }
    }
}

extension IdentifyBatch: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(identifies: [])
        while let f = try r.nextField() {
            switch f.number {
            case 1: try IdentifyListCodec.append(f, to: &identifies, &r)
            case 2: sentAt = try r.readSInt64(f, "sent_at")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        IdentifyListCodec.encode(identifies, field: 1, into: &w)
        if let sentAt { w.writeSInt64(2, sentAt) }
    }
}

extension StoredIdentifyBatch: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(project: "", identifies: [])
        while let f = try r.nextField() {
            switch f.number {
            case 1: project = try r.readString(f, "project", maxBytes: r.limits.stringBytesMax)
            case 2: try IdentifyListCodec.append(f, to: &identifies, &r)
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if !project.isEmpty { w.writeString(1, project) }
        IdentifyListCodec.encode(identifies, field: 2, into: &w)
    }
}

extension IdentifyAck: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(accepted: 0)
        while let f = try r.nextField() {
            if f.number == 1 { accepted = try r.readUInt32(f, "accepted") } else { try r.skip(f) }
        }
    }

    public func encode(into w: inout WireWriter) {
        if accepted != 0 { w.writeUInt64(1, UInt64(accepted)) }
    }
}

extension ForgetRequest: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(userID: "")
        while let f = try r.nextField() {
            if f.number == 1 { userID = try r.readString(f, "user_id", maxBytes: r.limits.userIDBytesMax) } else { try r.skip(f) }
        }
    }

    public func encode(into w: inout WireWriter) {
        if !userID.isEmpty { w.writeString(1, userID) }
    }
}

extension ForgetResponse: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(eventsHidden: 0)
        while let f = try r.nextField() {
            if f.number == 1 { eventsHidden = try r.readUInt64(f, "events_hidden") } else { try r.skip(f) }
        }
    }

    public func encode(into w: inout WireWriter) {
        if eventsHidden != 0 { w.writeUInt64(1, eventsHidden) }
    }
}

extension StoredForget: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(project: "", userID: "", requestedAt: 0)
        while let f = try r.nextField() {
            switch f.number {
            case 1: project = try r.readString(f, "project", maxBytes: r.limits.stringBytesMax)
            case 2: userID = try r.readString(f, "user_id", maxBytes: r.limits.userIDBytesMax)
            case 3: requestedAt = try r.readSInt64(f, "requested_at")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if !project.isEmpty { w.writeString(1, project) }
        if !userID.isEmpty { w.writeString(2, userID) }
        if requestedAt != 0 { w.writeSInt64(3, requestedAt) }
    }
}
