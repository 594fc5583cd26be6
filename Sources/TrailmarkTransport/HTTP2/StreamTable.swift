/// The open streams of one server connection, by stream id, without hashing on the common
/// path: client-initiated ids are odd and rise by 2 (RFC 9113 §5.1.1), so `(id >> 1) % slotCount`
/// gives up to `slotCount` consecutive streams distinct slots. A stream whose slot is held by
/// an older one still open `slotCount` ids back goes to a small overflow dictionary.
///
/// Invariants: each open stream is in exactly one place (its slot or the overflow);
/// `count` is their number. The slot array (1 KiB) is allocated on the first insert, so a
/// connection that never opens a stream holds none.
struct StreamTable {
    /// Slots per connection: a power of two, at least the default SETTINGS_MAX_CONCURRENT_STREAMS.
    static let slotCount = 128
    private var slots: [ServerStream?] = []
    private var overflow: [Int32: ServerStream] = [:]
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private static func slot(_ id: Int32) -> Int { Int(id >> 1) & (slotCount - 1) }

    /// The open stream with `id`, or nil.
    subscript(id: Int32) -> ServerStream? {
        guard !slots.isEmpty else { return nil }
        if let stream = slots[Self.slot(id)], stream.id == id { return stream }
        return overflow.isEmpty ? nil : overflow[id]
    }

    /// Adds a stream whose id is not in the table yet.
    mutating func insert(_ stream: ServerStream) {
        if slots.isEmpty { slots = Array(repeating: nil, count: Self.slotCount) }
        let index = Self.slot(stream.id)
        if slots[index] == nil {
            slots[index] = stream
        } else {
            overflow[stream.id] = stream
        }
        count += 1
    }

    /// Removes and returns the stream with `id` (nil when it is not open).
    mutating func removeValue(forKey id: Int32) -> ServerStream? {
        guard !slots.isEmpty else { return nil }
        let index = Self.slot(id)
        if let stream = slots[index], stream.id == id {
            slots[index] = nil
            count -= 1
            return stream
        }
        guard let stream = overflow.removeValue(forKey: id) else { return nil }
        count -= 1
        return stream
    }

    /// Every open stream, in no particular order.
    var values: [ServerStream] { slots.compactMap { $0 } + overflow.values }

    mutating func removeAll() {
        slots = []
        overflow = [:]
        count = 0
    }
}
