/// The walk of SEMANTICS §4 over one unit's (or session's) events in §2 order.
///
/// `timestamps` is ascending (ties in §2 order by seq, already applied by the caller);
/// `masks[i]` has bit k set when event i matches effective step k.
struct FunnelWalk {
    let windows: [Int64?]
    let window: Int64?
    let strict: Bool
    let allowance: Int64
    let stepCount: Int

    struct Outcome {
        /// Steps reached (0 when step 1 was not).
        var depth: Int
        var firstTime: Int64
        var lastTime: Int64
        /// Index of the step-1 event.
        var firstIndex: Int
    }

    /// Walks the events; `firstIndex` forces step 1 (the exposure, when it is step 1).
    /// `used` is scratch space (the indexes taken by earlier steps), reused across calls.
    func run(timestamps: UnsafeBufferPointer<Int64>, masks: UnsafeBufferPointer<UInt32>, firstIndex forced: Int?, used: inout [Int]) -> Outcome {
        guard let i1 = forced ?? masks.firstIndex(where: { $0 & 1 != 0 }) else {
            return Outcome(depth: 0, firstTime: 0, lastTime: 0, firstIndex: -1)
        }
        used.removeAll(keepingCapacity: true)
        used.append(i1)
        let t1 = timestamps[i1]
        var previous = t1
        var depth = 1
        for k in 1..<stepCount {
            let bit = UInt32(1) << UInt32(k)
            // Earliest admissible time: t >= previous - allowance (strict: t > …).
            let (low, overflow) = previous.subtractingReportingOverflow(allowance)
            let bound = overflow ? Int64.min : (strict ? low &+ 1 : low)
            var lo = 0, hi = timestamps.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if timestamps[mid] >= bound { hi = mid } else { lo = mid + 1 }
            }
            var found: Int?
            var j = lo
            while j < timestamps.count {
                let t = timestamps[j]
                if let wk = windows[k], t - previous > wk { break }
                if let w = window, t - t1 > w { break }
                if masks[j] & bit != 0 && !used.contains(j) {
                    found = j
                    break
                }
                j += 1
            }
            guard let f = found else { break }
            used.append(f)
            previous = timestamps[f]
            depth += 1
        }
        return Outcome(depth: depth, firstTime: t1, lastTime: previous, firstIndex: i1)
    }
}
