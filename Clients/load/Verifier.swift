import TrailmarkSDK
import TrailmarkWire

/// Reads the run's events back through `Query/EventsStream` and checks them against the
/// streams' ledgers (API.md § Durability, SEMANTICS §1 idempotency):
/// - every event of an acknowledged batch is stored exactly once (else `lost` / `duplicated`);
/// - an unacknowledged batch is stored whole or not at all (else `halfPresent`), since a
///   batch is all-or-nothing;
/// - no stored row of this run names a batch or index that was never generated (`unknown`).
struct Verifier {
    struct Result: Sendable {
        var rowsRead = 0
        var lost = 0
        var duplicated = 0
        var halfPresent = 0
        var unknown = 0
        /// Unacknowledged batches found stored whole (their ack was lost to a crash).
        var unackedStored = 0
        /// Unacknowledged batches not stored (sent, then the server died before commit).
        var unackedAbsent = 0
        /// Acknowledged identifies without a `$identify` row.
        var identifiesLost = 0
        /// Identifies with more than one `$identify` row, or rows of calls never sent.
        var identifiesDuplicated = 0
        /// `$identify` rows of this run checked.
        var identifyRows = 0
    }

    let query: TrailmarkQueryClient
    let run: String

    /// Waits until the server's visible event count stops moving (the engine has indexed
    /// the whole committed log, also after a restart's replay).
    func waitIndexed() async throws(TrailmarkError) {
        var last: UInt64 = .max
        var stable = 0
        while stable < 3 {
            let health = try await query.health()
            if health.status == .ok, health.events == last { stable += 1 } else { stable = 0 }
            last = health.events
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    func verify(ledgers: [StreamLedger], identifies: IdentifyLedger.Snapshot, from: Int64, to: Int64) async throws(TrailmarkError) -> Result {
        var result = Result()
        var identifyRows: [IdentifyLedger.Pair: Int] = [:]
        let anonPrefix = "a-\(run)-"
        // seen[stream][batch] is a bitmap of the batch's indexes already read.
        var seen: [[[UInt64]?]] = ledgers.map { [[UInt64]?](repeating: nil, count: $0.counts.count) }
        var stored: [[Int32]] = ledgers.map { [Int32](repeating: 0, count: $0.counts.count) }
        do {
            for try await row in query.allEvents(EventsQuery(from: from, to: to, limit: 10_000), timeout: .seconds(600)) {
                result.rowsRead += 1
                if row.event.event == "$identify", row.event.anonymousID.hasPrefix(anonPrefix) {
                    identifyRows[IdentifyLedger.Pair(anonymousID: row.event.anonymousID, userID: row.event.userID ?? ""), default: 0] += 1
                    continue
                }
                guard let id = row.event.eventID, id.hasPrefix(run) else { continue }
                guard let (s, b, i) = EventGenerator.parse(eventID: id, run: run), s < ledgers.count, b < ledgers[s].counts.count,
                      i < Int(ledgers[s].counts[b]) else {
                    result.unknown += 1
                    continue
                }
                var bits = seen[s][b] ?? [UInt64](repeating: 0, count: (Int(ledgers[s].counts[b]) + 63) / 64)
                let mask = UInt64(1) << UInt64(i % 64)
                if bits[i / 64] & mask != 0 {
                    result.duplicated += 1
                } else {
                    bits[i / 64] |= mask
                    stored[s][b] += 1
                }
                seen[s][b] = bits
            }
        } catch {
            throw TrailmarkError(wrapping: error)
        }
        for (pair, count) in identifyRows {
            result.identifyRows += count
            if !identifies.sent.contains(pair) || count > 1 { result.identifiesDuplicated += 1 }
        }
        result.identifiesLost = identifies.acked.filter { identifyRows[$0] == nil }.count
        for (s, ledger) in ledgers.enumerated() {
            for b in 0..<ledger.counts.count {
                let count = ledger.counts[b]
                let have = stored[s][b]
                if ledger.acked[b] {
                    result.lost += Int(count - have)
                } else if have == 0 {
                    result.unackedAbsent += 1
                } else if have == count {
                    result.unackedStored += 1
                } else {
                    result.halfPresent += 1
                }
            }
        }
        return result
    }
}
