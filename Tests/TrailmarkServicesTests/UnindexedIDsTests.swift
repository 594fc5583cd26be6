import Testing
@testable import TrailmarkServices

/// The ingest service's table of ids the engine does not answer for yet.
@Suite struct UnindexedIDsTests {
    final class Append {}

    private func isWriting(_ h: UnindexedIDs<Append>.Holder?, _ a: Append) -> Bool {
        if case .writing(let x)? = h { return x === a }
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
        #expect(isWriting(t.lookup("p")?[2], a))
        #expect(t.lookup("other") == nil)
        #expect(t.count == 3)
        t.prune(indexedEnd: 100)  // still writing: nothing may go
        #expect(isWriting(t.lookup("p")?[2], a))
        t.settle(a, seq: 7)
        #expect(writtenSeq(t.lookup("p")?[1]) == 7)
        t.settle(a, seq: nil)  // a waiter settles again: no change
        #expect(writtenSeq(t.lookup("p")?[1]) == 7)
        t.prune(indexedEnd: 7)  // record 7 not indexed yet
        #expect(writtenSeq(t.lookup("p")?[3]) == 7)
        t.prune(indexedEnd: 8)
        #expect(t.lookup("p") == nil)
        #expect(t.count == 0)
    }

    @Test func failedAppendFreesItsIds() {
        var t = UnindexedIDs<Append>()
        let a = Append()
        t.claim([10, 11], for: a, in: "p")
        t.settle(a, seq: nil)
        #expect(t.lookup("p")?[10] == nil)
        // A retry may claim them again and succeed.
        let b = Append()
        t.claim([10], for: b, in: "p")
        t.settle(b, seq: 3)
        #expect(writtenSeq(t.lookup("p")?[10]) == 3)
        #expect(t.lookup("p")?[11] == nil)
        t.prune(indexedEnd: 4)
        #expect(t.count == 0)
    }

    @Test func outOfOrderCompletionsKeepUnindexedIds() {
        var t = UnindexedIDs<Append>()
        let early = Append(), late = Append()
        t.claim([1], for: early, in: "p")
        t.claim([2], for: late, in: "q")
        t.settle(late, seq: 9)  // completes first, higher seq
        t.settle(early, seq: 4)
        t.prune(indexedEnd: 5)  // seq 4 indexed, 9 not: nothing may be dropped too early
        #expect(writtenSeq(t.lookup("q")?[2]) == 9)
        t.prune(indexedEnd: 10)
        #expect(t.lookup("p") == nil && t.lookup("q") == nil)
        #expect(t.count == 0)
    }

    @Test func anIdTakenOverByAnotherAppendIsNotStuck() {
        // A fingerprint collision between server-generated ids: the later claim wins and the
        // earlier append still settles.
        var t = UnindexedIDs<Append>()
        let a = Append(), b = Append()
        t.claim([5, 6], for: a, in: "p")
        t.claim([5], for: b, in: "p")
        t.settle(a, seq: 1)
        #expect(isWriting(t.lookup("p")?[5], b))
        #expect(writtenSeq(t.lookup("p")?[6]) == 1)
        t.settle(b, seq: 2)
        t.prune(indexedEnd: 3)
        #expect(t.count == 0)
        #expect(t.lookup("p") == nil)
    }

    /// Ids claimed while an older generation waits are kept until their own records are
    /// indexed, and found in the meantime whichever generation holds them.
    @Test func generationsAreDroppedOnlyWhenTheirRecordsAreIndexed() {
        var t = UnindexedIDs<Append>()
        let a = Append(), b = Append(), c = Append()
        t.claim([1], for: a, in: "p")
        t.settle(a, seq: 0)
        t.prune(indexedEnd: 0)  // a's record not indexed: a's generation stays (and becomes old)
        t.claim([2], for: b, in: "p")  // young generation
        t.claim([3], for: c, in: "p")
        t.settle(c, seq: 2)
        t.settle(b, seq: 1)
        #expect(writtenSeq(t.lookup("p")?[1]) == 0 && writtenSeq(t.lookup("p")?[2]) == 1 && writtenSeq(t.lookup("p")?[3]) == 2)
        t.prune(indexedEnd: 1)  // a's record indexed; b's and c's not
        #expect(t.lookup("p")?[1] == nil)
        #expect(writtenSeq(t.lookup("p")?[2]) == 1 && writtenSeq(t.lookup("p")?[3]) == 2)
        t.prune(indexedEnd: 2)
        #expect(writtenSeq(t.lookup("p")?[3]) == 2, "c's record (2) is not indexed yet")
        t.prune(indexedEnd: 3)
        #expect(t.count == 0)
    }

    /// A long random run against a model: while an id's append is unsettled, or written
    /// at a seq not yet indexed, the table gives exactly that holder; a failed append's ids
    /// are free; and everything is gone once indexed.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func matchesAModelOverARandomRun(seed: UInt64) {
        var state = seed
        func random(_ n: Int) -> Int {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
        struct Claim { let append: Append; let project: String; let ids: [UInt64]; var seq: UInt64?; var settled = false; var failed = false }
        var t = UnindexedIDs<Append>()
        var live: [Claim] = []  // claims the table may still hold
        var nextSeq: UInt64 = 0, indexed: UInt64 = 0, nextID: UInt64 = 1
        for step in 0..<2000 {
            switch random(10) {
            case 0..<4:
                let ids = (0...random(5)).map { _ in defer { nextID += 1 }; return nextID }
                let claim = Claim(append: Append(), project: random(3) == 0 ? "q" : "p", ids: ids)
                t.claim(ids, for: claim.append, in: claim.project)
                live.append(claim)
            case 4..<8:
                let open = live.indices.filter { !live[$0].settled }
                guard !open.isEmpty else { break }
                let i = open[random(open.count)]
                live[i].settled = true
                if random(8) == 0 {
                    live[i].failed = true
                    t.settle(live[i].append, seq: nil)
                } else {
                    live[i].seq = nextSeq
                    t.settle(live[i].append, seq: nextSeq)
                    nextSeq += 1
                }
            default:
                indexed = min(nextSeq, indexed + UInt64(random(3)))
                t.prune(indexedEnd: indexed)
                live.removeAll { $0.settled && ($0.failed || $0.seq! < indexed) }
            }
            for claim in live {
                for id in claim.ids {
                    let h = t.lookup(claim.project)?[id]
                    if !claim.settled {
                        #expect(isWriting(h, claim.append), "seed \(seed) step \(step): id \(id) of an unsettled append")
                    } else if claim.failed {
                        #expect(h == nil, "seed \(seed) step \(step): id \(id) of a failed append")
                    } else {
                        #expect(writtenSeq(h) == claim.seq, "seed \(seed) step \(step): id \(id), indexed to \(indexed)")
                    }
                }
            }
        }
        for claim in live where !claim.settled { t.settle(claim.append, seq: nil) }
        t.prune(indexedEnd: nextSeq)
        #expect(t.count == 0, "everything is dropped once indexed")
    }
}

extension UnindexedIDsTests {
    /// A dropped generation's table is reused for the same project: it must forget every id
    /// it held, and a view taken before the drop keeps answering from its own copy.
    @Test func reusedTablesForgetTheirIds() {
        var t = UnindexedIDs<Append>()
        let a = Append(), b = Append()
        t.claim(Array(1 ... 40), for: a, in: "p")
        t.settle(a, seq: 0)
        let before = t.lookup("p")
        t.prune(indexedEnd: 1)  // both generations drop: `p`'s table becomes the spare
        #expect(t.count == 0 && t.lookup("p") == nil)
        t.claim([41], for: b, in: "p")
        let view = t.lookup("p")
        for id in UInt64(1) ... 40 { #expect(view?[id] == nil, "id \(id) answered by a reused table") }
        if case .writing(let x)? = view?[41] { #expect(x === b) } else { Issue.record("id 41 lost") }
        #expect(t.count == 1)
        if case .written(let seq)? = before?[7] { #expect(seq == 0) } else { Issue.record("an earlier view lost id 7") }
        // Another project does not get p's table.
        t.claim([1], for: Append(), in: "q")
        #expect(t.lookup("q")?[2] == nil)
    }
}

extension UnindexedIDsTests {
    /// After a burst (one generation of many ids), later small generations must not keep
    /// the burst's table: reusing it zeroes every slot on each claim of every later
    /// generation, and keeps its memory for good.
    @Test func aBurstsTableIsNotReusedForever() {
        var t = UnindexedIDs<Append>()
        var seq: UInt64 = 0
        func generation(_ ids: [UInt64]) {
            let a = Append()
            t.claim(ids, for: a, in: "p")
            t.settle(a, seq: seq)
            seq += 1
            t.prune(indexedEnd: seq)
        }
        generation(Array(1 ... 20_000))
        #expect(t.capacity(of: "p") >= 40_000)  // kept for the next generation: reuse is the point
        for round in 0 ..< 4 { generation([UInt64(30_000 + round)]) }
        #expect(t.capacity(of: "p") <= 64, "capacity \(t.capacity(of: "p")) held for one id per generation")
    }
}
