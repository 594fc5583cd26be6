/// Zero-filled slot tables for the engine's large hash tables (`StringDictionary`).
///
/// Small pages on purpose. Until session 5 the interior of large tables asked for
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`), to spare the TLB on random probes.
/// With this machine's `defrag` setting (`madvise`), such a fault compacts memory
/// synchronously, and those faults came while the project lock was held, in tables that
/// grow during live ingest. At 500k events/s that showed as stalls of 20–80 ms: ack p99 was
/// 7.5–33 ms over 12 runs. Without huge pages, in the same minutes, p99 was 3.3–4.8 ms and
/// the server's CPU per event was unchanged (1.34–1.35 µs against 1.27–1.40).
enum SlotTable {
    /// Tables of at least this many bytes are faulted in ahead of use (`ZeroedSlots`).
    static let prefaultBytes = 8 << 20

    /// `count` zero slots.
    static func zeroed(count: Int) -> [UInt64] {
        Array(repeating: 0, count: count)
    }
}
