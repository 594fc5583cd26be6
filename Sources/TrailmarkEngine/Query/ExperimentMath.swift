#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TrailmarkWire

/// The statistics of SEMANTICS §5 and the time-to-complete summary of §4.
enum ExperimentMath {
    /// z of a two-sided 95% interval.
    static let z95 = 1.959964

    /// A ratio `R = ΣY/ΣX` over N units and its delta-method variance
    /// `(1/N)·(var(Y)/mX² − 2·mY·cov(X,Y)/mX³ + mY²·var(X)/mX⁴)` with population
    /// moments. Computed as `var(Y − R·X) / (N·mX²)`, the same quantity in a form without
    /// cancellation, so a rate whose variance is mathematically 0 gets exactly 0.
    /// Both are nil when ΣX = 0.
    static func rate(x: [Double], y: [Double]) -> (rate: Double?, variance: Double?) {
        let n = Double(x.count)
        let sumX = x.reduce(0, +), sumY = y.reduce(0, +)
        guard sumX > 0 else { return (nil, nil) }
        let r = sumY / sumX
        let mX = sumX / n
        var meanD = 0.0
        for i in x.indices { meanD += y[i] - r * x[i] }
        meanD /= n
        var varD = 0.0
        for i in x.indices {
            let d = y[i] - r * x[i] - meanD
            varD += d * d
        }
        varD /= n
        return (r, varD / (n * mX * mX))
    }

    /// Treatment against control: difference, 95% interval, two-sided z-test p-value
    /// (nil when the standard error is 0), relative lift and its variance (nil when the
    /// control rate is 0). Every field is nil when either rate is undefined.
    static func compare(treatment t: (rate: Double?, variance: Double?), control c: (rate: Double?, variance: Double?)) -> FunnelResult.Comparison {
        guard let rt = t.rate, let vt = t.variance, let rc = c.rate, let vc = c.variance else {
            return FunnelResult.Comparison(diff: nil, ciLow: nil, ciHigh: nil, pValue: nil, lift: nil, liftVariance: nil)
        }
        let diff = rt - rc
        let se = (vt + vc).squareRoot()
        let p: Double? = se == 0 ? nil : erfc(abs(diff / se) / 2.0.squareRoot())
        let lift: Double? = rc == 0 ? nil : rt / rc - 1
        let liftVariance: Double? = rc == 0 ? nil : vt / (rc * rc) + rt * rt * vc / (rc * rc * rc * rc)
        return FunnelResult.Comparison(
            diff: diff, ciLow: diff - z95 * se, ciHigh: diff + z95 * se, pValue: p, lift: lift, liftVariance: liftVariance
        )
    }

    /// Mean, median and p90 of completion times (microseconds). Quantiles interpolate
    /// linearly between closest ranks (position `(n−1)·q` of the sorted values), so the
    /// median of an even count is the mean of the two middle values.
    static func timeToComplete(_ times: [Int64]) -> FunnelResult.TimeToComplete {
        guard !times.isEmpty else { return FunnelResult.TimeToComplete(n: 0, mean: nil, median: nil, p90: nil) }
        let sorted = times.sorted()
        var sum = 0.0
        for t in sorted { sum += Double(t) }
        func quantile(_ q: Double) -> Double {
            let pos = Double(sorted.count - 1) * q
            let lo = Int(pos.rounded(.down))
            let hi = min(lo + 1, sorted.count - 1)
            let frac = pos - Double(lo)
            return Double(sorted[lo]) + (Double(sorted[hi]) - Double(sorted[lo])) * frac
        }
        return FunnelResult.TimeToComplete(n: UInt64(sorted.count), mean: sum / Double(sorted.count), median: quantile(0.5), p90: quantile(0.9))
    }
}
