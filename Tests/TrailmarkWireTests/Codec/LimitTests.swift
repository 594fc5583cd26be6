import Testing
import TrailmarkWire

/// Each limit of `WireLimits` (Proto/WIRE.md § 7) is enforced with `limitExceeded` naming
/// the field, and counts are checked against the bytes left before anything is reserved.
@Suite struct LimitTests {
    private func limits(_ change: (inout WireLimits) -> Void) -> WireLimits {
        var l = WireLimits()
        change(&l)
        return l
    }

    @Test func messageSize() {
        let bytes = EventBatch(events: [VectorSamples.pageview]).encoded()
        expectWireError(EventBatch.self, bytes, .messageTooLarge, field: "", limits: limits { $0.messageBytesMax = bytes.count - 1 })
        #expect((try? EventBatch(decoding: bytes, limits: limits { $0.messageBytesMax = bytes.count })) != nil)
    }

    @Test func eventsPerBatchAndCountsThatCannotFit() {
        expectWireError(EventBatch.self, Craft.batch(count: 10_001), .limitExceeded, field: "events")
        let three = Craft.batch(count: 3, columns: [(3, [0, 0, 0]), (4, [0, 0, 0])])
        expectWireError(EventBatch.self, three, .limitExceeded, field: "events", limits: limits { $0.batchEventsMax = 2 })
        // A count the columns cannot hold is refused before the event array is reserved.
        let lying = Craft.batch(count: 1 << 40, columns: [(3, [0]), (4, [0])])
        expectWireError(EventBatch.self, lying, .truncated, field: "events.name", limits: limits { $0.batchEventsMax = .max })
        expectWireError(EventBatch.self, Craft.batch(count: UInt64.max), .limitExceeded, field: "events")
        // A property count larger than the key column could hold.
        let props = Craft.batch(columns: [(3, [0]), (4, [0]), (13, Craft.varints([1 << 30])), (14, [0]), (15, [0])])
        expectWireError(EventBatch.self, props, .limitExceeded, field: "events[0].properties", limits: limits { $0.propertiesCountMax = .max })
    }

    @Test func logRecordLimitsAcceptBatchesAboveTheIngestDefault() throws {
        let big = StoredEventBatch(project: "p", events: (0 ..< 10_001).map { Event(event: "e\($0 % 3)", anonymousID: "a") })
        let bytes = big.encoded()
        expectWireError(StoredEventBatch.self, bytes, .limitExceeded, field: "events")
        #expect(try StoredEventBatch(decoding: bytes, limits: .logRecords) == big)
    }

    @Test func dictionaryEntries() {
        expectWireError(EventBatch.self, Craft.batch(dictionary: ["a", "b", "c"]), .limitExceeded, field: "events.dictionary",
                        limits: limits { $0.dictionaryEntriesMax = 2 })
        expectWireError(EventBatch.self, Craft.batch(rawDictionary: [0x05, 0x61]), .truncated, field: "events.dictionary[0]")
        expectWireError(EventBatch.self, Craft.batch(dictionary: ["abc"]), .limitExceeded, field: "events.dictionary[0]",
                        limits: limits { $0.stringBytesMax = 2 })
    }

    @Test(arguments: [
        ("event", 200), ("anonymous_id", 200), ("user_id", 256), ("session_id", 128), ("event_id", 128),
        ("url", 2048), ("path", 2048), ("referrer", 2048),
    ])
    func eventStringLengths(field: String, max: Int) throws {
        func event(_ s: String) -> Event {
            var e = Event(event: "e", anonymousID: "a")
            switch field {
            case "event": e.event = s
            case "anonymous_id": e.anonymousID = s
            case "user_id": e.userID = s
            case "session_id": e.sessionID = s
            case "event_id": e.eventID = s
            case "url": e.url = s
            case "path": e.path = s
            default: e.referrer = s
            }
            return e
        }
        let ok = EventBatch(events: [event(String(repeating: "x", count: max))])
        #expect(try EventBatch(decoding: ok.encoded()) == ok)
        let long = EventBatch(events: [event(String(repeating: "é", count: max / 2 + 1))])  // max + 2 bytes
        expectWireError(EventBatch.self, long.encoded(), .limitExceeded, field: "events[0].\(field)")
    }

    @Test func propertyKeysCountsAndSize() {
        let longKey = EventBatch(events: [Event(event: "e", properties: [String(repeating: "k", count: 257): .null])])
        expectWireError(EventBatch.self, longKey.encoded(), .limitExceeded, field: "events[0].properties")
        let many = Properties((0 ..< 5).map { Property("k\($0)", .int(Int64($0))) })
        expectWireError(EventBatch.self, EventBatch(events: [Event(event: "e", properties: many)]).encoded(), .limitExceeded,
                        field: "events[0].properties", limits: limits { $0.propertiesCountMax = 4 })
        let big = Properties((0 ..< 3).map { Property("k\($0)", .string(String(repeating: "v", count: 30_000))) })
        expectWireError(EventBatch.self, EventBatch(events: [Event(event: "e", properties: big)]).encoded(), .limitExceeded,
                        field: "events[0].properties")
        expectWireError(IdentifyBatch.self, IdentifyBatch(identifies: [Identify(anonymousID: "a", userID: "u", traits: big)]).encoded(),
                        .limitExceeded, field: "identifies[0].traits")
        expectWireError(IdentifyBatch.self, IdentifyBatch(identifies: [Identify(anonymousID: "a", userID: "u", traits: many)]).encoded(),
                        .limitExceeded, field: "identifies[0].traits", limits: limits { $0.propertiesCountMax = 4 })
    }

    @Test func repeatedCountsAndIdentifies() {
        let two = IdentifyBatch(identifies: [Identify(anonymousID: "a", userID: "u"), Identify(anonymousID: "b", userID: "v")]).encoded()
        expectWireError(IdentifyBatch.self, two, .limitExceeded, field: "identifies", limits: limits { $0.batchIdentifiesMax = 1 })
        let stats = StatsQuery(metric: .count, events: ["a", "b"]).encoded()
        expectWireError(StatsQuery.self, stats, .limitExceeded, field: "events", limits: limits { $0.repeatedCountMax = 1 })
        let rows = EventsPage(rows: [EventRow(event: Event(event: "a"), user: nil), EventRow(event: Event(event: "b"), user: nil)]).encoded()
        expectWireError(EventsPage.self, rows, .limitExceeded, field: "rows", limits: limits { $0.batchEventsMax = 1 })
    }

    @Test func nestingDepth() throws {
        let query = FunnelQuery(from: 0, to: 1, steps: [.init(event: "a", filters: ["k": .int(1)]), .init(event: "b")]).encoded()
        #expect(try FunnelQuery(decoding: query, limits: limits { $0.nestingDepthMax = 2 }).steps.count == 2)
        expectWireError(FunnelQuery.self, query, .limitExceeded, field: "steps[0].filters[0]", limits: limits { $0.nestingDepthMax = 1 })
        // Unknown fields are skipped by length and never count as nesting, however deep they are.
        var deep: [UInt8] = [0x08, 0x01]
        for _ in 0 ..< 100 { deep = Craft.message { w in w.writeBytes(1, deep) } }
        let unknown = Craft.message { w in w.writeBytes(99, deep) }
        #expect(try HealthRequest(decoding: unknown) == HealthRequest())
    }
}
