import Testing
import TrailmarkWire
@testable import TrailmarkEngine

@Suite("PreparedEventBatch")
struct PreparedEventBatchTests {
    static func attribution(_ k: Int) -> Attribution {
        Attribution(source: "src\(k % 13)", medium: "m\(k % 3)", campaign: k % 2 == 0 ? nil : "c\(k)", rule: "utm", confidence: .high)
    }

    @Test("each event's fingerprint, hashes and missing attribution, erased slots included")
    func perEvent() {
        var events: [Event] = []
        for i in 0..<400 {
            events.append(Event(
                event: "e\(i % 5)", anonymousID: "a\(i % 17)", userID: i % 6 == 0 ? "u\(i)" : (i % 6 == 1 ? "" : nil),
                sessionID: i % 5 == 0 ? "s\(i % 3)" : nil, eventID: i % 4 == 0 ? nil : (i % 4 == 1 ? "" : "id-\(i)"),
                url: i % 9 == 0 ? "https://x.example/?utm_source=news&utm_medium=email" : nil,
                attribution: i % 9 == 0 ? nil : Self.attribution(i / 3)))
        }
        let erased = ErasedSlots.erase(StoredEventBatch(project: "p", events: events), recordSeq: 1, seqs: Set((2...4).map { StoredEventBatch.eventSeq(recordSeq: 1, index: $0) }), fingerprint: .fixedKey)!  // events 2...4 exist
        let batch = erased.events
        let prepared = batch.withUnsafeBufferPointer { PreparedEventBatch($0, fingerprint: .fixedKey) }
        func hash(_ s: String?) -> UInt64 { s.map { $0.isEmpty ? 0 : StringDictionary.hash(of: $0) } ?? 0 }
        for (i, e) in batch.enumerated() {
            if ErasedSlots.isErased(e) {
                let original = events[i].eventID.flatMap { $0.isEmpty ? nil : EventIDFingerprint.fixedKey($0) } ?? 0
                #expect(prepared.fingerprints[i] == original)
                #expect(prepared.anonHashes[i] == 0 && prepared.userHashes[i] == 0 && prepared.computed[i] == nil)
                continue
            }
            #expect(prepared.computed[i] == (e.attribution == nil ? AttributionClassifier.classify(url: e.url, referrer: e.referrer) : nil))
            #expect(prepared.fingerprints[i] == (e.eventID.flatMap { $0.isEmpty ? nil : EventIDFingerprint.fixedKey($0) } ?? 0))
            #expect(prepared.anonHashes[i] == StringDictionary.hash(of: e.anonymousID))
            #expect(prepared.userHashes[i] == hash(e.userID))
            #expect(prepared.sessionHashes[i] == hash(e.sessionID))
        }
        #expect(prepared.computed.count == 45)  // i % 9 == 0 for i < 400, none of them erased
    }

    @Test("the attribution field has a fixed offset (the representation fast path is on)")
    func fastPathAvailable() {
        #expect(PreparedEventBatch.attributionOffset != nil)
    }

    @Test("an empty batch")
    func empty() {
        let prepared = [Event]().withUnsafeBufferPointer { PreparedEventBatch($0, fingerprint: .fixedKey) }
        #expect(prepared.fingerprints.isEmpty && prepared.computed.isEmpty)
    }
}
