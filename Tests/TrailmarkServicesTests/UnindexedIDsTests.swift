import Testing
@testable import TrailmarkServices

/// The ingest service's table of ids the engine does not answer for yet.
@Suite struct UnindexedIDsTests {
    final class Append {}

    private func isWriting(_ h: UnindexedIDs<Append>.Holder?, _ a: Append) -> Bool {
        if case .writing(let x)? = h { return x == ObjectIdentifier(a) }
        return false
    }

    private func writtenSeq(_ h: UnindexedIDs<Append>.Holder?) -> UInt64? {
        if case .written(let seq)? = h { return seq }
        return nil
    }

    @Test func claimThenSucceedThenPrune() {
        var t = UnindexedIDs<Append>()
        let a = Append()
        t.claim([1, 2, 3], for: a, in: "p")
        #expect(isWriting(t.holders(of: "p")?[2], a))
        #expect(t.holders(of: "other")?[2] == nil)
        #expect(t.count == 3)
        t.settle(a, ids: [1, 2, 3], in: "p", seq: 7)
        #expect(writtenSeq(t.holders(of: "p")?[1]) == 7)
        t.settle(a, ids: [1, 2, 3], in: "p", seq: 7)  // a waiter settles again: no change
        t.prune(indexedEnd: 7)  // record 7 not indexed yet
        #expect(writtenSeq(t.holders(of: "p")?[3]) == 7)
        t.prune(indexedEnd: 8)
        #expect(t.holders(of: "p")?[3] == nil)
        #expect(t.count == 0)
        #expect(t.holders(of: "p") == nil)
    }

    @Test func failedAppendFreesItsIds() {
        var t = UnindexedIDs<Append>()
        let a = Append()
        t.claim([10, 11], for: a, in: "p")
        t.settle(a, ids: [10, 11], in: "p", seq: nil)
        #expect(t.holders(of: "p")?[10] == nil)
        #expect(t.count == 0)
        // A retry may claim them again and succeed.
        let b = Append()
        t.claim([10], for: b, in: "p")
        t.settle(b, ids: [10], in: "p", seq: 3)
        #expect(writtenSeq(t.holders(of: "p")?[10]) == 3)
    }

    @Test func outOfOrderCompletionsKeepUnindexedIds() {
        var t = UnindexedIDs<Append>()
        let early = Append(), late = Append()
        t.claim([1], for: early, in: "p")
        t.claim([2], for: late, in: "q")
        t.settle(late, ids: [2], in: "q", seq: 9)  // completes first, higher seq
        t.settle(early, ids: [1], in: "p", seq: 4)
        t.prune(indexedEnd: 5)  // seq 4 indexed, 9 not: nothing may be dropped too early
        #expect(writtenSeq(t.holders(of: "q")?[2]) == 9)
        t.prune(indexedEnd: 10)
        #expect(t.holders(of: "p")?[1] == nil)
        #expect(t.holders(of: "q")?[2] == nil)
        #expect(t.count == 0)
    }

    @Test func anIdTakenOverByAnotherAppendIsNotStuck() {
        // A fingerprint collision between server-generated ids: the later claim wins and the
        // earlier append's settle must still finish its other ids.
        var t = UnindexedIDs<Append>()
        let a = Append(), b = Append()
        t.claim([5, 6], for: a, in: "p")
        t.claim([5], for: b, in: "p")
        t.settle(a, ids: [5, 6], in: "p", seq: 1)
        #expect(isWriting(t.holders(of: "p")?[5], b))
        #expect(writtenSeq(t.holders(of: "p")?[6]) == 1)
        t.settle(b, ids: [5], in: "p", seq: 2)
        t.prune(indexedEnd: 3)
        #expect(t.count == 0)
        #expect(t.holders(of: "p") == nil)
    }
}
