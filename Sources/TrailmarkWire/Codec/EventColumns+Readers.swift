/// Reads an optional 64-bit column of the event block (`Proto/WIRE.md` § 6.3): zigzag
/// deltas of the present values, with an optional presence bitmap.
///
/// No bitmap and values: every event has a value. No bitmap and no values: none has.
/// A bitmap must be exactly `ceil(n / 8)` bytes with its unused high bits zero.
struct DeltaColumnReader {
    /// Cursor over the values; the caller checks it is exhausted after the last event.
    var values: WireReader
    private let bitmapStart: Int?
    private let hasValues: Bool
    private var previous: Int64 = 0

    init(_ r: WireReader, _ slots: [Range<Int>?], _ valuesField: Int, _ presentField: Int, _ n: Int) throws(WireError) {
        values = r.subReader(slots[valuesField] ?? 0 ..< 0)
        hasValues = slots[valuesField] != nil
        if let bitmap = slots[presentField] {
            let name = EventColumnsDecoder.columnName(presentField)
            guard bitmap.count == (n + 7) / 8 else {
                throw WireError(.invalidValue, field: "\(name)", "bitmap of \(bitmap.count) bytes for \(n) events, expected \((n + 7) / 8)")
            }
            if n % 8 != 0 && r.buffer[bitmap.upperBound - 1] >> UInt8(n % 8) != 0 {
                throw WireError(.invalidValue, field: "\(name)", "bitmap has bits set beyond the \(n) events")
            }
            bitmapStart = bitmap.lowerBound
        } else {
            bitmapStart = nil
        }
    }

    /// The value of event `i` (events are read in order), or `nil` when it has none.
    @inline(__always)
    mutating func next(_ i: Int) throws(WireError) -> Int64? {
        if let start = bitmapStart {
            guard values.buffer[start + i >> 3] >> UInt8(i & 7) & 1 == 1 else { return nil }
        } else if !hasValues {
            return nil
        }
        previous = previous &+ zigzagDecode(try values.readVarint())
        return previous
    }
}

/// Detects a property key repeated within one event in O(1) per key. Keys are compared as
/// strings, not dictionary indices, so a (non-canonical) dictionary holding the same key
/// twice cannot smuggle a duplicate past it: each distinct dictionary index used as a key
/// is mapped once to a canonical id, and each id remembers the last event that used it.
struct PropertyKeyChecker {
    private let dictionaryCount: Int
    private var canonical: [Int] = []
    private var lastEvent: [Int] = []
    private var ids: [String: Int] = [:]

    init(dictionaryCount: Int) { self.dictionaryCount = dictionaryCount }

    /// False when key `k` (a valid dictionary index, whose string `string` makes: called
    /// once per index) was already used by event `event`.
    mutating func firstUse(of k: Int, in event: Int, string: () -> String) -> Bool {
        if canonical.isEmpty { canonical = [Int](repeating: -1, count: dictionaryCount) }
        var id = canonical[k]
        if id < 0 {
            let key = string()
            if let existing = ids[key] {
                id = existing
            } else {
                id = lastEvent.count
                ids[key] = id
                lastEvent.append(-1)
            }
            canonical[k] = id
        }
        guard lastEvent[id] != event else { return false }
        lastEvent[id] = event
        return true
    }
}
