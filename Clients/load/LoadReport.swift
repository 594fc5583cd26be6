import Foundation
import Histogram

/// The final report of a run: throughput, ack latency percentiles (HdrHistogram), errors by
/// status and, after `--verify`, the durability verdict. `failed` decides the exit status.
struct LoadReport {
    let metrics: LoadMetrics.State
    let elapsed: Duration
    let verification: Verifier.Result?
    let restarts: Int
    let ledgers: [StreamLedger]
    /// Batches resent as templates after each stream's first 16 (`BatchSource`), not all
    /// generated: sessions, visitors' stages and identifies stop changing after those, so
    /// figures are comparable only between runs of the same mode.
    let templates: Bool

    var seconds: Double { Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18 }
    var eventsPerSecond: Double { seconds > 0 ? Double(metrics.eventsAcked) / seconds : 0 }
    var batchesPerSecond: Double { seconds > 0 ? Double(metrics.batchesAcked) / seconds : 0 }
    func ms(_ percentile: Double) -> Double { Double(metrics.latency.valueAtPercentile(percentile)) / 1000 }
    var maxMs: Double { Double(metrics.latency.max) / 1000 }
    var unackedBatches: Int { ledgers.reduce(0) { $0 + $1.acked.filter { !$0 }.count } }

    var failed: Bool {
        if metrics.eventsAcked == 0 || metrics.ackMismatches > 0 { return true }
        guard let v = verification else { return false }
        return v.lost > 0 || v.duplicated > 0 || v.halfPresent > 0 || v.unknown > 0 || v.identifiesLost > 0 || v.identifiesDuplicated > 0
    }

    func text() -> String {
        var lines = [
            "duration        \(String(format: "%.2f", seconds)) s",
            "batches         \(templates ? "16 generated per stream, then resent with new ids and times" : "all generated (--fresh-batches)")",
            "events acked    \(Self.group(metrics.eventsAcked))  (\(Self.group(UInt64(eventsPerSecond)))/s)",
            "batches acked   \(Self.group(metrics.batchesAcked))  (\(String(format: "%.0f", batchesPerSecond))/s)",
            "ack latency ms  p50 \(f(ms(50)))  p90 \(f(ms(90)))  p99 \(f(ms(99)))  p99.9 \(f(ms(99.9)))  max \(f(maxMs))"
                + (metrics.warmupBatches > 0 ? "  (\(metrics.warmupBatches) warm-up batches left out)" : ""),
            "accepted        \(Self.group(metrics.eventsAccepted)) events, \(Self.group(metrics.identifies)) identifies; reported duplicates \(Self.group(metrics.duplicatesReported)), duplicate resends \(metrics.duplicateResends)",
            "errors          \(metrics.errors.isEmpty ? "none" : metrics.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))",
            "restarts        \(restarts), unacknowledged batches at the end \(unackedBatches), ack mismatches \(metrics.ackMismatches)",
        ]
        if let v = verification {
            lines.append("verify          rows read \(Self.group(UInt64(v.rowsRead))): lost \(v.lost), duplicated \(v.duplicated), half-present batches \(v.halfPresent), unknown \(v.unknown); unacked batches stored whole \(v.unackedStored), absent \(v.unackedAbsent)")
            lines.append("verify identify $identify rows \(v.identifyRows): lost \(v.identifiesLost), duplicated \(v.identifiesDuplicated)")
        }
        lines.append(failed ? "RESULT          FAIL" : "RESULT          OK")
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var object: [String: Any] = [
            "duration_s": seconds,
            "batches": templates ? "templates" : "fresh",
            "events_acked": metrics.eventsAcked,
            "events_sent": metrics.eventsSent,
            "events_accepted": metrics.eventsAccepted,
            "events_per_s": eventsPerSecond,
            "batches_acked": metrics.batchesAcked,
            "batches_per_s": batchesPerSecond,
            "p50_ms": ms(50), "p90_ms": ms(90), "p99_ms": ms(99), "p999_ms": ms(99.9), "max_ms": maxMs,
            "latency_batches": metrics.latency.totalCount, "warmup_batches": metrics.warmupBatches,
            "errors": metrics.errors,
            "duplicates_reported": metrics.duplicatesReported,
            "identifies_acked": metrics.identifies,
            "duplicate_resends": metrics.duplicateResends,
            "ack_mismatches": metrics.ackMismatches,
            "restarts": restarts,
            "unacked_batches": unackedBatches,
            "ok": !failed,
        ]
        if let v = verification {
            object["verified"] = true
            object["lost"] = v.lost
            object["duplicated"] = v.duplicated
            object["identifies_lost"] = v.identifiesLost
            object["identifies_duplicated"] = v.identifiesDuplicated
            object["half_present_batches"] = v.halfPresent
            object["unknown_rows"] = v.unknown
            object["rows_read"] = v.rowsRead
            object["unacked_batches_stored"] = v.unackedStored
        } else {
            object["verified"] = false
            object["lost"] = NSNull()
            object["duplicated"] = NSNull()
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private func f(_ value: Double) -> String { String(format: "%.2f", value) }

    /// 1234567 → "1,234,567".
    static func group(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out: [Character] = []
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return String(out)
    }
}
