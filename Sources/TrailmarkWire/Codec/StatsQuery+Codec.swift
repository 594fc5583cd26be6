/// Stats and sources (`Proto/trailmark.tmidl`):
///
///     message StatsQuery    { Metric metric = 1; optional sint64 from = 2; optional sint64 to = 3;
///                             repeated string events = 4; repeated GroupField group_by = 5;
///                             optional Interval interval = 6; UnitKind unit = 7; }
///     message StatsRow      { uint64 value = 1; repeated NullableString groups = 2;
///                             optional sint64 bucket = 3; }
///     message StatsResult   { Metric metric = 1; repeated GroupField group_by = 2;
///                             repeated StatsRow rows = 3; }
///     message SourcesQuery  { optional sint64 from = 1; optional sint64 to = 2; UnitKind unit = 3; }
///     message SourcesRow    { string source = 1; string medium = 2; optional string campaign = 3;
///                             uint64 events = 4; uint64 uniques = 5; }
///     message SourcesResult { repeated SourcesRow rows = 1; }
extension StatsQuery: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(metric: .count)
        let countMax = r.limits.repeatedCountMax
        while let f = try r.nextField() {
            switch f.number {
            case 1: metric = try r.readEnum(f, "metric")
            case 2: from = try r.readSInt64(f, "from")
            case 3: to = try r.readSInt64(f, "to")
            case 4:
                try r.checkCount(events.count, countMax, "events")
                events.append(try r.readString(f, "events", maxBytes: r.limits.eventNameBytesMax))
            case 5:
                try r.checkCount(groupBy.count, countMax, "group_by")
                groupBy.append(try r.readEnum(f, "group_by"))
            case 6: interval = try r.readEnum(f, "interval")
            case 7: unit = try r.readEnum(f, "unit")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if metric != .count { w.writeEnum(1, metric) }
        if let from { w.writeSInt64(2, from) }
        if let to { w.writeSInt64(3, to) }
        for e in events { w.writeString(4, e) }
        for g in groupBy { w.writeEnum(5, g) }
        if let interval { w.writeEnum(6, interval) }
        if unit != .user { w.writeEnum(7, unit) }
    }
}

extension StatsRow: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(value: 0)
        let maxBytes = r.limits.stringBytesMax
        while let f = try r.nextField() {
            switch f.number {
            case 1: value = try r.readUInt64(f, "value")
            case 2:
                try r.checkCount(groups.count, r.limits.repeatedCountMax, "groups")
                groups.append(try r.readMessage(f, "groups", index: groups.count) { (r: inout WireReader) throws(WireError) in
                    try PropertyCodec.decodeNullableString(&r, maxBytes: maxBytes)
                })
            case 3: bucket = try r.readSInt64(f, "bucket")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if value != 0 { w.writeUInt64(1, value) }
        for g in groups { PropertyCodec.encodeNullable(g, field: 2, into: &w) }
        if let bucket { w.writeSInt64(3, bucket) }
    }
}

extension StatsResult: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(metric: .count, rows: [])
        let countMax = r.limits.repeatedCountMax
        while let f = try r.nextField() {
            switch f.number {
            case 1: metric = try r.readEnum(f, "metric")
            case 2:
                try r.checkCount(groupBy.count, countMax, "group_by")
                groupBy.append(try r.readEnum(f, "group_by"))
            case 3:
                try r.checkCount(rows.count, countMax, "rows")
                rows.append(try r.readMessage(f, "rows", index: rows.count) { (r: inout WireReader) throws(WireError) in
                    try StatsRow(decoding: &r)
                })
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if metric != .count { w.writeEnum(1, metric) }
        for g in groupBy { w.writeEnum(2, g) }
        for row in rows { w.writeMessage(3) { w in row.encode(into: &w) } }
    }
}

extension SourcesQuery: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init()
        while let f = try r.nextField() {
            switch f.number {
            case 1: from = try r.readSInt64(f, "from")
            case 2: to = try r.readSInt64(f, "to")
            case 3: unit = try r.readEnum(f, "unit")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if let from { w.writeSInt64(1, from) }
        if let to { w.writeSInt64(2, to) }
        if unit != .user { w.writeEnum(3, unit) }
    }
}

extension SourcesRow: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(source: "", medium: "", campaign: nil, events: 0, uniques: 0)
        let maxBytes = r.limits.stringBytesMax
        while let f = try r.nextField() {
            switch f.number {
            case 1: source = try r.readString(f, "source", maxBytes: maxBytes)
            case 2: medium = try r.readString(f, "medium", maxBytes: maxBytes)
            case 3: campaign = try r.readString(f, "campaign", maxBytes: maxBytes)
            case 4: events = try r.readUInt64(f, "events")
            case 5: uniques = try r.readUInt64(f, "uniques")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if !source.isEmpty { w.writeString(1, source) }
        if !medium.isEmpty { w.writeString(2, medium) }
        if let campaign { w.writeString(3, campaign) }
        if events != 0 { w.writeUInt64(4, events) }
        if uniques != 0 { w.writeUInt64(5, uniques) }
    }
}

extension SourcesResult: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(rows: [])
        while let f = try r.nextField() {
            if f.number == 1 {
                try r.checkCount(rows.count, r.limits.repeatedCountMax, "rows")
                rows.append(try r.readMessage(f, "rows", index: rows.count) { (r: inout WireReader) throws(WireError) in
                    try SourcesRow(decoding: &r)
                })
            } else {
                try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        for row in rows { w.writeMessage(1) { w in row.encode(into: &w) } }
    }
}
