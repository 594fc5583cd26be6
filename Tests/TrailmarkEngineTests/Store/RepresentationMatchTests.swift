import Testing
import TrailmarkWire
@testable import TrailmarkEngine

@Suite("RepresentationMatch")
struct RepresentationMatchTests {
    /// Looks `value` up through the bytes of a copy of it held in an array.
    private func find(_ value: Attribution?, in match: inout RepresentationMatch<Attribution?>) -> UInt32? {
        let held = [value]
        return held.withUnsafeBufferPointer { match.find(RepresentationMatch<Attribution?>.field(offset: 0, of: $0, at: 0)) }
    }

    @Test("copies of a remembered value are found; other values never are")
    func findsCopiesOnly() {
        let long = String(repeating: "campaign-", count: 4)  // heap storage, shared by copies
        let a = Attribution(source: "google", medium: "paid", campaign: long, rule: "click_id", confidence: .high)
        var b = a
        b.campaign = String(repeating: "campaign-", count: 3) + "campaignX"  // same length, other bytes
        var c = a
        c.confidence = .low
        var match = RepresentationMatch<Attribution?>(limit: 3)
        match.remember(a, as: 7)
        match.remember(nil, as: 9)
        #expect(find(a, in: &match) == 7)
        #expect(find(nil, in: &match) == 9)
        #expect(find(b, in: &match) == nil)
        #expect(find(c, in: &match) == nil)
        match.remember(c, as: 11)
        match.remember(b, as: 12)  // past the limit: replaces the oldest, `a`
        #expect(find(c, in: &match) == 11)
        #expect(find(b, in: &match) == 12)
        #expect(find(a, in: &match) == nil)
        #expect(find(nil, in: &match) == 9)
    }
}
