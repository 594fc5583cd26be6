import TrailmarkWire

/// Recently interned (string, dictionary id) pairs of one string column
/// (`ProjectStore.State`): the events of a batch from one device repeat their name,
/// anonymous id, user and session; a column has few names; and a decoded batch holds one
/// string per distinct value (the wire dictionary), so equal values usually share storage.
///
/// Matched by representation: the 16 bytes of a remembered `String` against the bytes of
/// a string field in place (no copy, no retain, no hashing of the text). Equal bytes mean
/// the same storage object (or the same small string held inline), so the same text;
/// unequal bytes say nothing, and the caller falls back to the dictionary, which decides
/// exactly. Direct-mapped: `size` entries, each representation has one entry (chosen by a
/// multiplicative hash of its bytes) and a new pair replaces whatever held it.
///
/// Invariant: each remembered string is held here (retained), so its storage can neither
/// be freed and reused for another string nor mutated in place while fields are compared
/// with it. Dictionary ids never change (forget deletes rows, not dictionary entries), so
/// a remembered id stays valid for the store's lifetime.
struct RecentStrings: Sendable {
    static let size = 16
    private struct Entry: Sendable {
        /// The remembered string, held so its storage stays its own (see the invariant).
        var string: String?
        var bits: (UInt64, UInt64) = (0, 0)
        var id: UInt32 = 0
        /// False for an empty entry, which nothing matches.
        var used = false
    }

    private var entries = [Entry](repeating: Entry(), count: RecentStrings.size)

    init() {}

    /// The entry a representation maps to.
    @inline(__always)
    private static func slot(_ b0: UInt64, _ b1: UInt64) -> Int {
        Int(truncatingIfNeeded: ((b0 &* 0x9E37_79B9_7F4A_7C15) ^ (b1 &* 0xC2B2_AE3D_27D4_EB4F)) >> 60)  // 16 = 2^4 entries
    }

    /// The id remembered for the `String` (or `String?`, whose `.some` has the same bytes)
    /// stored at `field`, when a remembered string has its representation. `field` must
    /// point at an initialised value in memory the caller keeps alive.
    @inline(__always)
    func id(atField field: UnsafeRawPointer) -> UInt32? {
        let b0 = field.loadUnaligned(as: UInt64.self), b1 = field.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        return entries.withUnsafeBufferPointer { e in
            let k = Self.slot(b0, b1)
            return e[k].used && e[k].bits.0 == b0 && e[k].bits.1 == b1 ? e[k].id : nil
        }
    }

    /// The id of `s` when a remembered string has its representation.
    func id(of s: String) -> UInt32? {
        withUnsafeBytes(of: s) { id(atField: $0.baseAddress.unsafelyUnwrapped) }  // 16 bytes, so a base exists
    }

    /// Remembers `s` as `id`, replacing the pair its representation maps to.
    mutating func remember(_ s: String, as id: UInt32) {
        let (b0, b1) = withUnsafeBytes(of: s) { ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
        entries[Self.slot(b0, b1)] = Entry(string: s, bits: (b0, b1), id: id, used: true)
    }
}

/// Byte offsets of the string fields of an `Event` that `RecentStrings` compares in place.
enum EventStringField {
    // Stored properties always have an offset, so these unwraps cannot fail.
    static let name = MemoryLayout<Event>.offset(of: \Event.event)!
    static let anonymousID = MemoryLayout<Event>.offset(of: \Event.anonymousID)!
    static let userID = MemoryLayout<Event>.offset(of: \Event.userID)!
    static let sessionID = MemoryLayout<Event>.offset(of: \Event.sessionID)!

    /// The address of the field `offset` bytes into `events[i]` (`i < events.count`).
    @inline(__always)
    static func address(_ offset: Int, of events: UnsafeBufferPointer<Event>, at i: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(events.baseAddress.unsafelyUnwrapped + i) + offset  // i < count, so the base is set
    }
}

extension StringDictionary {
    /// The id of the string field `offset` bytes into `events[i]` (an `EventStringField`;
    /// a `String?` field must be non-nil): `recent`'s when the representation matches
    /// (`RecentStrings.id(atField:)`), else interned (with its precomputed `hash`, if
    /// given) and remembered. `value` returns the field's string.
    @inline(__always)
    mutating func intern(
        _ events: UnsafeBufferPointer<Event>, _ i: Int, _ offset: Int, hash: UInt64?, recent: inout RecentStrings, value: () -> String
    ) -> UInt32 {
        if let id = recent.id(atField: EventStringField.address(offset, of: events, at: i)) { return id }
        let s = value()
        let id = hash.map { intern(s, hash: $0) } ?? intern(s)
        recent.remember(s, as: id)
        return id
    }
}
