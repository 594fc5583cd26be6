/// Funnel queries (`Proto/trailmark.tmidl`, SEMANTICS §4 and §5):
///
///     message FunnelStep  { string event = 1; repeated Property filters = 2; }
///     message Experiment  { string name = 1; string control = 2 [default = "control"];
///                           bool exposure_as_first_step = 3; }
///     message FunnelQuery { sint64 from = 1; sint64 to = 2; repeated FunnelStep steps = 3;
///                           repeated NullableInt64 windows = 4; optional sint64 window = 5;
///                           bool strict = 6; sint64 allowance = 7; CountMode count = 8;
///                           UnitKind unit = 9;
///                           oneof breakdown { string breakdown_property = 10;
///                                             bool breakdown_first_touch = 11; }  // true
///                           optional Experiment experiment = 12; }
extension FunnelQuery: WireMessage {
    /// The value of `Experiment.control` when the field is absent.
    public static let controlDefault = "control"

    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(from: 0, to: 0, steps: [])
        let limits = r.limits
        while let f = try r.nextField() {
            switch f.number {
            case 1: from = try r.readSInt64(f, "from")
            case 2: to = try r.readSInt64(f, "to")
            case 3:
                try r.checkCount(steps.count, limits.repeatedCountMax, "steps")
                steps.append(try r.readMessage(f, "steps", index: steps.count) { (r: inout WireReader) throws(WireError) in
                    try Self.decodeStep(&r)
                })
            case 4:
                try r.checkCount(windows.count, limits.repeatedCountMax, "windows")
                windows.append(try r.readMessage(f, "windows", index: windows.count) { (r: inout WireReader) throws(WireError) in
                    try PropertyCodec.decodeNullableInt64(&r)
                })
            case 5: window = try r.readSInt64(f, "window")
            case 6: strict = try r.readBool(f, "strict")
            case 7: allowance = try r.readSInt64(f, "allowance")
            case 8: count = try r.readEnum(f, "count")
            case 9: unit = try r.readEnum(f, "unit")
            case 10: breakdown = .property(try r.readString(f, "breakdown_property", maxBytes: limits.propertyKeyBytesMax))
            case 11:
                guard try r.readBool(f, "breakdown_first_touch") else {
                    throw WireError(.invalidValue, field: "breakdown_first_touch", "must be true (1) when present")
                }
                breakdown = .firstTouch
            case 12:
                experiment = try r.readMessage(f, "experiment") { (r: inout WireReader) throws(WireError) in
                    try Self.decodeExperiment(&r)
                }
            default: try r.skip(f)
            }
        }
    }

    private static func decodeStep(_ r: inout WireReader) throws(WireError) -> Step {
        var step = Step(event: "")
        var filters = PropertyMapBuilder()
        while let f = try r.nextField() {
            switch f.number {
            case 1: step.event = try r.readString(f, "event", maxBytes: r.limits.eventNameBytesMax)
            case 2: try PropertyCodec.decodeEntry(f, "filters", into: &filters, &r)
            default: try r.skip(f)
            }
        }
        step.filters = filters.properties
        return step
    }

    private static func decodeExperiment(_ r: inout WireReader) throws(WireError) -> Experiment {
        var experiment = Experiment(name: "", control: controlDefault)
        let maxBytes = r.limits.stringBytesMax
        while let f = try r.nextField() {
            switch f.number {
            case 1: experiment.name = try r.readString(f, "name", maxBytes: maxBytes)
            case 2: experiment.control = try r.readString(f, "control", maxBytes: maxBytes)
            case 3: experiment.exposureAsFirstStep = try r.readBool(f, "exposure_as_first_step")
            default: try r.skip(f)
            }
        }
        return experiment
    }

    public func encode(into w: inout WireWriter) {
        if from != 0 { w.writeSInt64(1, from) }
        if to != 0 { w.writeSInt64(2, to) }
        for step in steps {
            w.writeMessage(3) { w in
                if !step.event.isEmpty { w.writeString(1, step.event) }
                PropertyCodec.encode(step.filters, field: 2, into: &w)
            }
        }
        for window in windows { PropertyCodec.encodeNullable(window, field: 4, into: &w) }
        if let window { w.writeSInt64(5, window) }
        if strict { w.writeBool(6, true) }
        if allowance != 0 { w.writeSInt64(7, allowance) }
        if count != .units { w.writeEnum(8, count) }
        if unit != .user { w.writeEnum(9, unit) }
        switch breakdown {
        case .property(let name): w.writeString(10, name)
        case .firstTouch: w.writeBool(11, true)
        case nil: break
        }
        if let experiment {
            w.writeMessage(12) { w in
                if !experiment.name.isEmpty { w.writeString(1, experiment.name) }
                if experiment.control != Self.controlDefault { w.writeString(2, experiment.control) }
                if experiment.exposureAsFirstStep { w.writeBool(3, true) }
            }
        }
    }
}
