/// Finds the events of one batch whose `event_id` an earlier event of the same batch
/// already carries (SEMANTICS §1: the first wins), by fingerprint.
///
/// An open-addressing table sized to a power of two at least twice the batch, indexed by
/// the fingerprint's low bits (fingerprints are already well-mixed hashes, so no second
/// hash is needed; `Set<UInt64>` spent most of its time in SipHash). 0 marks an empty
/// slot; fingerprints are never 0 (`EventEngine.fingerprint`).
enum BatchRepeats {
    /// `result[i]` is true when `fingerprints[i]` occurs at an earlier `j` with
    /// `skip[j] == false`; events with `skip[i]` (server-generated ids) are never marked.
    static func mark(_ fingerprints: [UInt64], skip: [Bool]) -> [Bool] {
        var capacity = 16
        while capacity < fingerprints.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        var slots = [UInt64](repeating: 0, count: capacity)
        var repeated = [Bool](repeating: false, count: fingerprints.count)
        for (i, fp) in fingerprints.enumerated() where !skip[i] && fp != 0 {
            var slot = Int(truncatingIfNeeded: fp) & mask
            while true {
                if slots[slot] == 0 {
                    slots[slot] = fp
                    break
                }
                if slots[slot] == fp {
                    repeated[i] = true
                    break
                }
                slot = (slot + 1) & mask
            }
        }
        return repeated
    }
}
