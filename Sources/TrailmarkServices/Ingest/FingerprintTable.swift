/// A map from `event_id` fingerprints to values, for the ingest service's per-id tables.
///
/// Fingerprints are already well-mixed 64-bit hashes (`EventEngine.fingerprint`, never 0),
/// so the table indexes by their low bits directly: `Dictionary<UInt64, _>` spent most of
/// its time hashing them again with SipHash. Open addressing with linear probing.
///
/// Invariants: `keys.count` is a power of two, at least 16 and at least twice `count`;
/// `keys[i] == 0` marks an empty slot, and then `values[i] == nil`; every key lies in
/// the probe run that starts at its home slot (`key & mask`) with no empty slot between
/// (removal shifts later entries back instead of leaving tombstones).
struct FingerprintTable<Value> {
    private var keys: [UInt64] = Array(repeating: 0, count: 16)
    private var values: [Value?] = Array(repeating: nil, count: 16)
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    private var mask: Int { keys.count - 1 }

    /// The slot holding `key`, or the empty slot where it would go.
    private func slot(of key: UInt64) -> (index: Int, found: Bool) {
        var i = Int(truncatingIfNeeded: key) & mask
        while true {
            let k = keys[i]
            if k == key { return (i, true) }
            if k == 0 { return (i, false) }
            i = (i + 1) & mask
        }
    }

    subscript(key: UInt64) -> Value? {
        get {
            precondition(key != 0, "fingerprints are never 0")
            let (i, found) = slot(of: key)
            return found ? values[i] : nil
        }
        set {
            if let newValue { updateValue(newValue, forKey: key) } else { removeValue(forKey: key) }
        }
    }

    /// Sets `key`'s value; returns the previous one.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey key: UInt64) -> Value? {
        precondition(key != 0, "fingerprints are never 0")
        if (count + 1) * 2 > keys.count { resize(to: keys.count * 2) }
        let (i, found) = slot(of: key)
        if found {
            let old = values[i]
            values[i] = value
            return old
        }
        keys[i] = key
        values[i] = value
        count += 1
        return nil
    }

    /// Sets the value of every key in `newKeys` to `value` (one growth check and one
    /// uniqueness check for the lot: per-key `updateValue` spent as much on those as on
    /// the inserts).
    mutating func updateValues(_ value: Value, forKeys newKeys: [UInt64]) {
        reserveCapacity(count + newKeys.count)
        let mask = self.mask
        var added = 0
        keys.withUnsafeMutableBufferPointer { keys in
            values.withUnsafeMutableBufferPointer { values in
                for key in newKeys {
                    precondition(key != 0, "fingerprints are never 0")
                    var i = Int(truncatingIfNeeded: key) & mask
                    while keys[i] != 0 && keys[i] != key { i = (i + 1) & mask }
                    if keys[i] == 0 { added += 1 }
                    keys[i] = key
                    values[i] = value
                }
            }
        }
        count += added
    }

    /// Removes `key`; returns its value.
    @discardableResult
    mutating func removeValue(forKey key: UInt64) -> Value? {
        precondition(key != 0, "fingerprints are never 0")
        var (hole, found) = slot(of: key)
        guard found else { return nil }
        let old = values[hole]
        // Backward-shift deletion: move later entries of the run into the hole when their
        // home slot does not lie cyclically in (hole, j].
        var j = hole
        while true {
            j = (j + 1) & mask
            let k = keys[j]
            if k == 0 { break }
            let home = Int(truncatingIfNeeded: k) & mask
            let staysPut = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
            if staysPut { continue }
            keys[hole] = k
            values[hole] = values[j]
            hole = j
        }
        keys[hole] = 0
        values[hole] = nil
        count -= 1
        return old
    }

    /// Empties the table, keeping its capacity (its memory is already mapped and sized for
    /// a generation's ids: `UnindexedIDs` reuses dropped tables).
    mutating func removeAll() {
        guard count > 0 else { return }
        keys.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        values.withUnsafeMutableBufferPointer { $0.update(repeating: nil) }
        count = 0
    }

    /// Grows so that `n` entries fit without growing again.
    mutating func reserveCapacity(_ n: Int) {
        var capacity = keys.count
        while n * 2 > capacity { capacity <<= 1 }
        if capacity > keys.count { resize(to: capacity) }
    }

    private mutating func resize(to capacity: Int) {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: 0, count: capacity)
        values = Array(repeating: nil, count: capacity)
        for (i, k) in oldKeys.enumerated() where k != 0 {
            let (slot, _) = slot(of: k)
            keys[slot] = k
            values[slot] = oldValues[i]
        }
    }
}
