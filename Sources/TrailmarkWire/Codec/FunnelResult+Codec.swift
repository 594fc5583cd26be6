/// Funnel answers (`Proto/trailmark.tmidl`, API.md `/v1/funnel`):
///
///     message FunnelStepResult { string event = 1; uint64 reached = 2;
///                                optional double conversion = 3; optional double overall = 4; }
///     message TimeToComplete   { uint64 n = 1; optional double mean = 2;
///                                optional double median = 3; optional double p90 = 4; }
///     message FirstTouchKey    { string source = 1; string medium = 2; }
///     message GroupKey         { oneof key { PropertyValue property = 1;       // none set: all
///                                            FirstTouchKey first_touch = 2;
///                                            NullableString experiment_group = 3; } }
///     message FunnelGroup      { GroupKey key = 1; optional uint64 exposed = 2;
///                                repeated FunnelStepResult steps = 3;
///                                TimeToComplete time_to_complete = 4; }
///     message Comparison       { optional double diff = 1; optional double ci_low = 2;
///                                optional double ci_high = 3; optional double p_value = 4;
///                                optional double lift = 5; optional double lift_variance = 6; }
///     message StepComparison   { Comparison stepwise = 1; Comparison overall = 2; }
///     message GroupComparison  { optional string group = 1; repeated StepComparison steps = 2; }
///     message FunnelResult     { repeated FunnelGroup groups = 1;
///                                repeated GroupComparison comparisons = 2; }
extension FunnelResult: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(groups: [])
        let countMax = r.limits.repeatedCountMax
        while let f = try r.nextField() {
            switch f.number {
            case 1:
                try r.checkCount(groups.count, countMax, "groups")
                groups.append(try r.readMessage(f, "groups", index: groups.count) { (r: inout WireReader) throws(WireError) in
                    try Self.decodeGroup(&r)
                })
            case 2:
                try r.checkCount(comparisons.count, countMax, "comparisons")
                comparisons.append(try r.readMessage(f, "comparisons", index: comparisons.count) { (r: inout WireReader) throws(WireError) in
                    try Self.decodeGroupComparison(&r)
                })
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        for g in groups { w.writeMessage(1) { w in Self.encode(g, into: &w) } }
        for c in comparisons {
            w.writeMessage(2) { w in
                if let group = c.group { w.writeString(1, group) }
                for s in c.steps {
                    w.writeMessage(2) { w in
                        w.writeMessage(1, omitIfEmpty: true) { w in Self.encode(s.stepwise, into: &w) }
                        w.writeMessage(2, omitIfEmpty: true) { w in Self.encode(s.overall, into: &w) }
                    }
                }
            }
        }
    }

    // MARK: Groups

    private static func encode(_ g: Group, into w: inout WireWriter) {
        w.writeMessage(1, omitIfEmpty: true) { w in
            switch g.key {
            case .all: break
            case .property(let v): w.writeMessage(1) { w in PropertyCodec.encodeValue(v, into: &w) }
            case .firstTouch(let source, let medium):
                w.writeMessage(2) { w in
                    if !source.isEmpty { w.writeString(1, source) }
                    if !medium.isEmpty { w.writeString(2, medium) }
                }
            case .experimentGroup(let name): PropertyCodec.encodeNullable(name, field: 3, into: &w)
            }
        }
        if let exposed = g.exposed { w.writeUInt64(2, exposed) }
        for s in g.steps {
            w.writeMessage(3) { w in
                if !s.event.isEmpty { w.writeString(1, s.event) }
                if s.reached != 0 { w.writeUInt64(2, s.reached) }
                if let c = s.conversion { w.writeDouble(3, c) }
                if let o = s.overall { w.writeDouble(4, o) }
            }
        }
        let t = g.timeToComplete
        w.writeMessage(4, omitIfEmpty: true) { w in
            if t.n != 0 { w.writeUInt64(1, t.n) }
            if let v = t.mean { w.writeDouble(2, v) }
            if let v = t.median { w.writeDouble(3, v) }
            if let v = t.p90 { w.writeDouble(4, v) }
        }
    }

    private static func decodeGroup(_ r: inout WireReader) throws(WireError) -> Group {
        var g = Group(key: .all, steps: [], timeToComplete: TimeToComplete(n: 0, mean: nil, median: nil, p90: nil))
        while let f = try r.nextField() {
            switch f.number {
            case 1: g.key = try r.readMessage(f, "key") { (r: inout WireReader) throws(WireError) in try decodeKey(&r) }
            case 2: g.exposed = try r.readUInt64(f, "exposed")
            case 3:
                try r.checkCount(g.steps.count, r.limits.repeatedCountMax, "steps")
                g.steps.append(try r.readMessage(f, "steps", index: g.steps.count) { (r: inout WireReader) throws(WireError) in
                    var s = Step(event: "", reached: 0, conversion: nil, overall: nil)
                    while let f = try r.nextField() {
                        switch f.number {
                        case 1: s.event = try r.readString(f, "event", maxBytes: r.limits.eventNameBytesMax)
                        case 2: s.reached = try r.readUInt64(f, "reached")
                        case 3: s.conversion = try r.readDouble(f, "conversion")
                        case 4: s.overall = try r.readDouble(f, "overall")
                        default: try r.skip(f)
                        }
                    }
                    return s
                })
            case 4:
                g.timeToComplete = try r.readMessage(f, "time_to_complete") { (r: inout WireReader) throws(WireError) in
                    var t = TimeToComplete(n: 0, mean: nil, median: nil, p90: nil)
                    while let f = try r.nextField() {
                        switch f.number {
                        case 1: t.n = try r.readUInt64(f, "n")
                        case 2: t.mean = try r.readDouble(f, "mean")
                        case 3: t.median = try r.readDouble(f, "median")
                        case 4: t.p90 = try r.readDouble(f, "p90")
                        default: try r.skip(f)
                        }
                    }
                    return t
                }
            default: try r.skip(f)
            }
        }
        return g
    }

    private static func decodeKey(_ r: inout WireReader) throws(WireError) -> GroupKey {
        var key = GroupKey.all
        let maxBytes = r.limits.stringBytesMax
        while let f = try r.nextField() {
            switch f.number {
            case 1:
                key = .property(try r.readMessage(f, "property") { (r: inout WireReader) throws(WireError) in
                    try PropertyCodec.decodeValue(&r)
                })
            case 2:
                key = try r.readMessage(f, "first_touch") { (r: inout WireReader) throws(WireError) in
                    var source = "", medium = ""
                    while let f = try r.nextField() {
                        switch f.number {
                        case 1: source = try r.readString(f, "source", maxBytes: maxBytes)
                        case 2: medium = try r.readString(f, "medium", maxBytes: maxBytes)
                        default: try r.skip(f)
                        }
                    }
                    return GroupKey.firstTouch(source: source, medium: medium)
                }
            case 3:
                key = .experimentGroup(try r.readMessage(f, "experiment_group") { (r: inout WireReader) throws(WireError) in
                    try PropertyCodec.decodeNullableString(&r, maxBytes: maxBytes)
                })
            default: try r.skip(f)
            }
        }
        return key
    }

    // MARK: Comparisons

    private static func encode(_ c: Comparison, into w: inout WireWriter) {
        if let v = c.diff { w.writeDouble(1, v) }
        if let v = c.ciLow { w.writeDouble(2, v) }
        if let v = c.ciHigh { w.writeDouble(3, v) }
        if let v = c.pValue { w.writeDouble(4, v) }
        if let v = c.lift { w.writeDouble(5, v) }
        if let v = c.liftVariance { w.writeDouble(6, v) }
    }

    private static func decodeComparison(_ r: inout WireReader) throws(WireError) -> Comparison {
        var c = Comparison(diff: nil, ciLow: nil, ciHigh: nil, pValue: nil, lift: nil, liftVariance: nil)
        while let f = try r.nextField() {
            switch f.number {
            case 1: c.diff = try r.readDouble(f, "diff")
            case 2: c.ciLow = try r.readDouble(f, "ci_low")
            case 3: c.ciHigh = try r.readDouble(f, "ci_high")
            case 4: c.pValue = try r.readDouble(f, "p_value")
            case 5: c.lift = try r.readDouble(f, "lift")
            case 6: c.liftVariance = try r.readDouble(f, "lift_variance")
            default: try r.skip(f)
            }
        }
        return c
    }

    private static func decodeGroupComparison(_ r: inout WireReader) throws(WireError) -> GroupComparison {
        var gc = GroupComparison(group: nil, steps: [])
        while let f = try r.nextField() {
            switch f.number {
            case 1: gc.group = try r.readString(f, "group", maxBytes: r.limits.stringBytesMax)
            case 2:
                try r.checkCount(gc.steps.count, r.limits.repeatedCountMax, "steps")
                gc.steps.append(try r.readMessage(f, "steps", index: gc.steps.count) { (r: inout WireReader) throws(WireError) in
                    let empty = Comparison(diff: nil, ciLow: nil, ciHigh: nil, pValue: nil, lift: nil, liftVariance: nil)
                    var sc = StepComparison(stepwise: empty, overall: empty)
                    while let f = try r.nextField() {
                        switch f.number {
                        case 1: sc.stepwise = try r.readMessage(f, "stepwise") { (r: inout WireReader) throws(WireError) in try decodeComparison(&r) }
                        case 2: sc.overall = try r.readMessage(f, "overall") { (r: inout WireReader) throws(WireError) in try decodeComparison(&r) }
                        default: try r.skip(f)
                        }
                    }
                    return sc
                })
            default: try r.skip(f)
            }
        }
        return gc
    }
}
