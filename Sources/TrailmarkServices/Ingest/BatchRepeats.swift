/// Finds the events of one batch whose `event_id` an earlier event of the same batch
/// already carries (SEMANTICS §1: the first wins), by fingerprint, in a `FingerprintTable`
/// (`Set<UInt64>` spent most of its time in SipHash).
enum BatchRepeats {
    /// `result[i]` is true when `fingerprints[i]` occurs at an earlier `j` with
    /// `skip[j] == false`; events with `skip[i]` (server-generated ids) are never marked.
    static func mark(_ fingerprints: [UInt64], skip: [Bool]) -> [Bool] {
        var repeated = [Bool](repeating: false, count: fingerprints.count)
        guard skip.contains(false) else { return repeated }  // server ids only: no table to build
        var seen = FingerprintTable<Void>()
        seen.reserveCapacity(fingerprints.count)
        for (i, fp) in fingerprints.enumerated() where !skip[i] && fp != 0 {
            repeated[i] = seen.updateValue((), forKey: fp) != nil
        }
        return repeated
    }
}
