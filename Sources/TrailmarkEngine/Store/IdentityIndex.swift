/// One stored identify (SEMANTICS §1) as the store keeps it: dictionary ids and times.
struct IdentifyEntry: Sendable, BitwiseCopyable {
    var anon: UInt32
    var user: UInt32
    var timestamp: Int64
    var seq: UInt64
}

/// What makes two identifies the same call (a retry): dictionary ids and time.
struct IdentifyKey: Hashable, Sendable {
    var anon: UInt32
    var user: UInt32
    var timestamp: Int64
}

/// The identify map of SEMANTICS §3 for one snapshot: per anonymous id its identifies
/// sorted by `(timestamp, seq)`. Identifies deleted by a forget (`DeletedRows`) are left
/// out, exactly as if they had never been stored.
///
/// Immutable once built; built for the first `identifyCount` identifies and the deletions
/// of generation `deletedGeneration`, and cached by the project until either changes.
final class IdentityIndex: Sendable {
    /// `userOf` result for an identify list naming more than one user.
    private static let multiple: UInt32 = .max - 1

    let identifyCount: Int
    let deletedGeneration: Int
    /// Per anonymous id (dense id): 0 when it has no identify, else 1 + its range number.
    private let anonSlot: [UInt32]
    /// Bit per anonymous id: has an identify. 1/32 the size of `anonSlot`, so the common
    /// "never identified" answer stays in cache.
    private let identified: [UInt64]
    private let rangeStart: [UInt32]
    private let rangeEnd: [UInt32]
    /// The single user of the range, or `multiple`.
    private let rangeUser: [UInt32]
    private let timestamps: [Int64]
    private let seqs: [UInt64]
    private let users: [UInt32]
    /// Per identified user: its anonymous ids, and its earliest identify `(timestamp, seq)`.
    let anonsByUser: [UInt32: [UInt32]]
    let firstIdentifyByUser: [UInt32: (timestamp: Int64, seq: UInt64)]

    init(identifies: ColumnSnapshot<IdentifyEntry>, deleted: DeletedRows) {
        identifyCount = identifies.count
        deletedGeneration = deleted.generation
        var entries: [IdentifyEntry] = []
        entries.reserveCapacity(identifies.count)
        identifies.forEachChunk(in: 0..<identifies.count) { buffer, _ in entries.append(contentsOf: buffer) }
        if !deleted.identifySeqs.isEmpty { entries.removeAll { deleted.identifySeqs.contains($0.seq) } }
        entries.sort { ($0.anon, $0.timestamp, $0.seq) < ($1.anon, $1.timestamp, $1.seq) }

        var slot = Array(repeating: UInt32(0), count: Int((entries.last?.anon ?? 0) + 1))
        var starts: [UInt32] = [], ends: [UInt32] = [], single: [UInt32] = []
        var byUser: [UInt32: [UInt32]] = [:]
        var firstByUser: [UInt32: (timestamp: Int64, seq: UInt64)] = [:]
        var i = 0
        while i < entries.count {
            let anon = entries[i].anon
            var j = i
            var user = entries[i].user
            while j < entries.count && entries[j].anon == anon {
                let e = entries[j]
                if e.user != user { user = IdentityIndex.multiple }
                if byUser[e.user]?.last != anon { byUser[e.user, default: []].append(anon) }
                if let f = firstByUser[e.user] {
                    if (e.timestamp, e.seq) < (f.timestamp, f.seq) { firstByUser[e.user] = (e.timestamp, e.seq) }
                } else {
                    firstByUser[e.user] = (e.timestamp, e.seq)
                }
                j += 1
            }
            starts.append(UInt32(i))
            ends.append(UInt32(j))
            single.append(user)
            slot[Int(anon)] = UInt32(starts.count)
            i = j
        }
        anonSlot = slot
        var bits = Array(repeating: UInt64(0), count: (slot.count + 63) / 64)
        for (a, v) in slot.enumerated() where v != 0 { bits[a >> 6] |= 1 << UInt64(a & 63) }
        identified = bits
        rangeStart = starts
        rangeEnd = ends
        rangeUser = single
        timestamps = entries.map(\.timestamp)
        seqs = entries.map(\.seq)
        users = entries.map(\.user)
        anonsByUser = byUser
        firstIdentifyByUser = firstByUser
    }

    /// The user of an event (SEMANTICS §3): its own `user_id` when set (`rowUser`), else
    /// the earliest identify of its anonymous id at or after `timestamp`, else the latest
    /// before it; `StringDictionary.none` when the anonymous id has no identify.
    @inline(__always)
    func user(rowUser: UInt32, anon: UInt32, timestamp: Int64) -> UInt32 {
        if rowUser != StringDictionary.none { return rowUser }
        guard Int(anon) < anonSlot.count, identified[Int(anon) >> 6] & (1 << UInt64(anon & 63)) != 0 else { return StringDictionary.none }
        let s = anonSlot[Int(anon)]
        if s == 0 { return StringDictionary.none }
        let r = Int(s - 1)
        let single = rangeUser[r]
        if single != IdentityIndex.multiple { return single }
        var lo = Int(rangeStart[r]), hi = Int(rangeEnd[r])
        let last = hi - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if timestamps[mid] >= timestamp { hi = mid } else { lo = mid + 1 }
        }
        return lo <= last ? users[lo] : users[last]
    }

    /// The one user every identify of the anonymous id names, or `StringDictionary.none`
    /// when it has no identify or names several users.
    func onlyUser(anon: UInt32) -> UInt32 {
        guard Int(anon) < anonSlot.count else { return StringDictionary.none }
        let s = anonSlot[Int(anon)]
        guard s != 0 else { return StringDictionary.none }
        let u = rangeUser[Int(s - 1)]
        return u == IdentityIndex.multiple ? StringDictionary.none : u
    }

    /// Whether the anonymous id has any identify.
    func hasIdentifies(anon: UInt32) -> Bool {
        Int(anon) < anonSlot.count && anonSlot[Int(anon)] != 0
    }

    var allocatedBytes: Int {
        anonSlot.count * 4 + rangeStart.count * 12 + timestamps.count * 20
    }
}
