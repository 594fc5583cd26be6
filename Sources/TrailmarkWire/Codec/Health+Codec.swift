/// `message HealthRequest {}` and
/// `message HealthResponse { HealthStatus status = 1; uint64 events = 2; }`.
extension HealthRequest: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init()
        while let f = try r.nextField() { try r.skip(f) }
    }

    public func encode(into w: inout WireWriter) {}
}

extension HealthResponse: WireMessage {
    public init(decoding r: inout WireReader) throws(WireError) {
        self.init(status: .ok, events: 0)
        while let f = try r.nextField() {
            switch f.number {
            case 1: status = try r.readEnum(f, "status")
            case 2: events = try r.readUInt64(f, "events")
            default: try r.skip(f)
            }
        }
    }

    public func encode(into w: inout WireWriter) {
        if status != .ok { w.writeEnum(1, status) }
        if events != 0 { w.writeUInt64(2, events) }
    }
}
