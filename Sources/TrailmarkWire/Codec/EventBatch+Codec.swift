/// `EventBatch`, `StoredEventBatch` and `BatchAck` (`Proto/trailmark.tmidl`):
///
///     message EventBatch       { EventColumns events = 1; optional sint64 sent_at = 2;
///                                optional uint64 batch_id = 3; }
///     message StoredEventBatch { string project = 1; EventColumns events = 2; }
///     message BatchAck         { optional uint64 batch_id = 1; uint32 accepted = 2;
///                                uint32 duplicates = 3; repeated string event_ids = 4; }
extension EventBatch: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        var layout: EventBlockLayout?
        try self.init(decoding: &r, layout: &layout)
    }

    /// Decodes the batch and reports where its event block's columns lie in `r`'s buffer.
    init(decoding r: inout WireReader, layout: inout EventBlockLayout?) throws(WireError) {
        self.init(events: [])
        let countMax = r.limits.batchEventsMax
        while let f = try r.nextField() {
            switch f.number {
            case 1:
                let block = try r.readMessage(f, "events") { (r: inout WireReader) throws(WireError) in
                    try EventColumnsDecoder.decodeBlock(&r, countMax: countMax, wantUsers: false)
                }
                events = block.events
                layout = block.layout
            case 2: sentAt = try r.readSInt64(f, "sent_at")
            case 3: batchID = try r.readUInt64(f, "batch_id")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        w.writeMessage(1, omitIfEmpty: true) { w in EventColumns.encode(events, into: &w) }
        if let sentAt { w.writeSInt64(2, sentAt) }
        if let batchID { w.writeUInt64(3, batchID) }
    }
}

extension StoredEventBatch: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(project: "", events: [])
        let countMax = r.limits.batchEventsMax
        while let f = try r.nextField() {
            switch f.number {
            case 1: project = try r.readString(f, "project", maxBytes: r.limits.stringBytesMax)
            case 2:
                events = try r.readMessage(f, "events") { (r: inout WireReader) throws(WireError) in
                    try EventColumnsDecoder.decode(&r, countMax: countMax, wantUsers: false).events
                }
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if !project.isEmpty { w.writeString(1, project) }
        w.writeMessage(2, omitIfEmpty: true) { w in EventColumns.encode(events, into: &w) }
    }
}

extension BatchAck: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(accepted: 0, duplicates: 0)
        while let f = try r.nextField() {
            switch f.number {
            case 1: batchID = try r.readUInt64(f, "batch_id")
            case 2: accepted = try r.readUInt32(f, "accepted")
            case 3: duplicates = try r.readUInt32(f, "duplicates")
            case 4:
                try r.checkCount(eventIDs.count, r.limits.batchEventsMax, "event_ids")
                eventIDs.append(try r.readString(f, "event_ids", maxBytes: r.limits.eventIDBytesMax))
            default: try r.skip(f)
            }
        }
    }

    /// What a client that only counts needs of an ack (a load harness): its batch id and
    /// counts, and how many event ids it lists, without a `String` per id. Checks the
    /// message as `init(decoding:)` does, except the ids' UTF-8.
    public struct Counts: Hashable, Sendable {
        public var batchID: UInt64?
        public var accepted: UInt32 = 0
        public var duplicates: UInt32 = 0
        public var eventIDs = 0
    }

    public static func counts(decoding bytes: [UInt8], limits: WireLimits = .default) throws(WireError) -> Counts {
        try limits.checkMessageSize(bytes.count)
        let result: Result<Counts, WireError> = bytes.withUnsafeBytes { raw in
            var r = WireReader(raw, limits: limits)
            var c = Counts()
            do throws(WireError) {
                while let f = try r.nextField() {
                    switch f.number {
                    case 1: c.batchID = try r.readUInt64(f, "batch_id")
                    case 2: c.accepted = try r.readUInt32(f, "accepted")
                    case 3: c.duplicates = try r.readUInt32(f, "duplicates")
                    case 4:
                        try r.checkCount(c.eventIDs, limits.batchEventsMax, "event_ids")
                        let range = try r.readSlice(f, "event_ids")
                        guard range.count <= limits.eventIDBytesMax else {
                            throw WireError(.limitExceeded, field: "event_ids", "\(range.count) bytes exceed the maximum of \(limits.eventIDBytesMax)")
                        }
                        c.eventIDs += 1
                    default: try r.skip(f)
                    }
                }
                return .success(c)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public func encode(into w: inout WireWriter) {
        if let batchID { w.writeUInt64(1, batchID) }
        if accepted != 0 { w.writeUInt64(2, UInt64(accepted)) }
        if duplicates != 0 { w.writeUInt64(3, UInt64(duplicates)) }
        for id in eventIDs { w.writeString(4, id) }
    }
}
