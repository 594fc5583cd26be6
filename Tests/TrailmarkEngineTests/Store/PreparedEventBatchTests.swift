import Testing
import TrailmarkWire
@testable import TrailmarkEngine

@Suite("PreparedEventBatch")
struct PreparedEventBatchTests {
    static func attribution(_ k: Int) -> Attribution {
        Attribution(source: "src\(k % 13)", medium: "m\(k % 3)", campaign: k % 2 == 0 ? nil : "c\(k)", rule: "utm", confidence: .high)
    }

    @Test("each event's attribution, fingerprint and anonymous id hash, erased slots included")
    func perEvent() {
        // 30 distinct attributions (past the linear limit), runs of repeats, missing ones.
        var events: [Event] = []
        for i in 0..<400 {
            let k = (i / 3) % 30
            events.append(Event(
                event: "e\(i % 5)", anonymousID: "a\(i % 17)", eventID: i % 4 == 0 ? nil : (i % 4 == 1 ? "" : "id-\(i)"),
                url: i % 9 == 0 ? "https://x.example/?utm_source=news&utm_medium=email" : nil,
                attribution: i % 9 == 0 ? nil : Self.attribution(k)))
        }
        let erased = ErasedSlots.erase(StoredEventBatch(project: "p", events: events), recordSeq: 1, seqs: Set((2...4).map { StoredEventBatch.eventSeq(recordSeq: 1, index: $0) }))!  // events 2...4 exist
        let batch = erased.events
        let prepared = batch.withUnsafeBufferPointer { PreparedEventBatch($0) }
        #expect(Set(prepared.attributions).count == prepared.attributions.count)
        for (i, e) in batch.enumerated() {
            if ErasedSlots.isErased(e) {
                let original = events[i].eventID.flatMap { $0.isEmpty ? nil : EventIDSet.fingerprint($0) } ?? 0
                #expect(prepared.fingerprints[i] == original)
                continue
            }
            let expected = e.attribution ?? AttributionClassifier.classify(url: e.url, referrer: e.referrer)
            #expect(prepared.attributions[Int(prepared.attributionIndex[i])] == expected)
            #expect(prepared.fingerprints[i] == (e.eventID.flatMap { $0.isEmpty ? nil : EventIDSet.fingerprint($0) } ?? 0))
            #expect(prepared.anonHashes[i] == StringDictionary.hash(of: e.anonymousID))
        }
        #expect(prepared.attributions.count == 31)  // 30 given + the classified utm one
    }

    @Test("an empty batch")
    func empty() {
        let prepared = [Event]().withUnsafeBufferPointer { PreparedEventBatch($0) }
        #expect(prepared.fingerprints.isEmpty && prepared.attributions.isEmpty)
    }
}
