import Testing
import TrailmarkWire
@testable import TrailmarkEngine

@Suite("RecentStrings")
struct RecentStringsTests {
    @Test("remembered strings and copies of them match; other strings, equal text in other storage and nil do not")
    func matchesRepresentationOnly() {
        let long = String(repeating: "anon-", count: 8)  // heap storage, shared by copies
        let copy = long
        let sameText = String(repeating: "anon-", count: 7) + "anon-"  // equal text, its own storage
        let small = "a1"  // held inline: equal text means equal bytes
        var recent = RecentStrings()
        #expect(recent.id(of: long) == nil && recent.id(of: "") == nil)  // nothing remembered yet
        recent.remember(long, as: 5)
        #expect(recent.id(of: long) == 5 && recent.id(of: copy) == 5)
        #expect(recent.id(of: sameText) == nil)
        #expect(recent.id(of: small) == nil)
        recent.remember(small, as: 9)
        #expect(recent.id(of: "a" + "1") == 9)
        #expect(recent.id(of: "a2") == nil)
        // A `String?` field with a value has the bytes of the string; nil matches nothing.
        let optional: [String?] = [small, nil]
        optional.withUnsafeBytes { raw in
            #expect(recent.id(atField: raw.baseAddress!) == 9)  // two elements, so a base exists
            #expect(recent.id(atField: raw.baseAddress! + MemoryLayout<String?>.stride) == nil)
        }
    }

    @Test("alternating values: each keeps its own id while its entry holds it; a replaced one misses")
    func alternatingAndReplaced() {
        let values = (0..<64).map { "value-\($0)-" + String(repeating: "v", count: 24) }
        var recent = RecentStrings()
        var model: [Int: Int] = [:]  // what the last remember per value should still give
        for round in 0..<3 {
            for (k, v) in values.enumerated() where (k + round) % 3 != 0 {
                if let id = recent.id(of: v) {
                    #expect(id == UInt32(k))  // a hit is always this value's own id
                    #expect(model[k] != nil)
                } else {
                    recent.remember(v, as: UInt32(k))
                    model[k] = round
                }
            }
        }
        // More values than entries: some were replaced, the latest ones are found.
        let found = values.indices.filter { recent.id(of: values[$0]) != nil }
        #expect(!found.isEmpty && found.count <= RecentStrings.size)
        for k in found { #expect(recent.id(of: values[k]) == UInt32(k)) }
        // Two values alternating keep their ids (the second replaces the first only when
        // both map to one entry); lookups never change what is remembered.
        var pair = RecentStrings()
        let (a, b) = (values[0], values[1])
        pair.remember(a, as: 100)
        pair.remember(b, as: 101)
        let aKept = pair.id(of: a) != nil
        for _ in 0..<4 {
            #expect(pair.id(of: b) == 101)
            #expect(pair.id(of: a) == (aKept ? 100 : nil))
        }
        #expect((1..<64).contains { k in var r = RecentStrings(); r.remember(a, as: 1); r.remember(values[k], as: 2); return r.id(of: a) == 1 })
    }

    /// Events of one device and of others, alternating, in batches whose strings share
    /// storage (as decoded batches do) or do not; each row must map back to its own strings.
    static func events(_ n: Int, shared: Bool, seed: Int, batch: Int) -> [Event] {
        let anons = (0..<3).map { "device-\(seed)-\($0)-" + String(repeating: "x", count: 20) }
        let users = ["user-\(seed)-" + String(repeating: "u", count: 20), "u\(seed)"]
        return (0..<n).map { i in
            // Runs of 1..3 equal values, then another: hits and misses of the cache.
            let k = (i / (1 + i % 3)) % 3
            let anon = shared ? anons[k] : String(anons[k].utf8.map { Character(UnicodeScalar($0)) })
            return Event(
                event: ["page", "click_button_long_name", "view"][(i / 2) % 3], anonymousID: anon,
                userID: i % 4 == 0 ? nil : users[(i / 4) % 2], timestamp: Int64(1_000 + i),
                sessionID: i % 5 == 0 ? nil : "session-\(k)-" + String(repeating: "s", count: 16), eventID: "id-\(batch)-\(i)",
                attribution: Attribution(source: "direct", medium: "direct", rule: "direct", confidence: .high))
        }
    }

    @Test("rows keep their own name, anonymous id, user and session across alternating values, erased slots and a forget")
    func ingestMapsEveryRowBack() throws {
        let engine = EventEngine()
        var stored: [Event] = []
        for r in 0..<6 {
            var batch = StoredEventBatch(project: "p", events: Self.events(60, shared: r % 2 == 0, seed: r % 3, batch: r))
            if r == 2 {
                // Erased slots (as forget compaction leaves them: an empty name, nothing else)
                // are skipped and must not disturb the remembered values.
                for i in [3, 4, 10, 11, 12] { batch.events[i] = Event(event: "") }
            }
            #expect(engine.ingest(batch, recordSeq: UInt64(r + 1)).accepted == batch.events.filter { !ErasedSlots.isErased($0) }.count)
            stored += batch.events.filter { !ErasedSlots.isErased($0) }
            if r == 3 {
                // A forget removes rows, not dictionary entries: ids remembered before stay valid.
                let user = try #require(stored.first { $0.userID != nil }?.userID)
                engine.forget(StoredForget(project: "p", userID: user, requestedAt: 0), recordSeq: 100)
                stored.removeAll { $0.userID == user }
            }
        }
        let rows = try engine.events(project: "p", EventsQuery(from: 0, to: .max, limit: 10_000)).rows.map(\.event)
        let key: (Event) -> [String] = { [$0.eventID ?? "", $0.event, $0.anonymousID, $0.userID ?? "-", $0.sessionID ?? "-"] }
        let got = rows.map(key).sorted { $0.lexicographicallyPrecedes($1) }, want = stored.map(key).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(got.count == want.count && got.count > 250)
        #expect(zip(got, want).filter { $0 != $1 }.prefix(3).map { "\($0) != \($1)" } == [])
    }
}
