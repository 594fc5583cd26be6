#if canImport(Glibc)
import Glibc
#endif

/// Zero-filled slot tables for the engine's large hash tables (`EventIDSet`,
/// `StringDictionary`), with their interior backed by transparent huge pages where the
/// kernel offers them (`madvise(MADV_HUGEPAGE)` before the first write; this machine's
/// setting is `madvise`). A random probe into a table of tens of MB otherwise misses the
/// TLB almost every time; one 2 MiB entry covers 512 small pages. Only a hint: the memory
/// and the contents are the same either way, and the array is an ordinary `[UInt64]`.
enum SlotTable {
    static let hugePage = 2 << 20

    /// `count` zero slots; tables under 8 MiB are plain arrays.
    static func zeroed(count: Int) -> [UInt64] {
        guard count >= 4 * hugePage / MemoryLayout<UInt64>.stride else { return Array(repeating: 0, count: count) }
        return Array(unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            adviseHugePages(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<UInt64>.stride)
            base.initialize(repeating: 0, count: count)
            initialized = count
        }
    }

    /// Asks for huge pages over the 2 MiB-aligned interior of `bytes` bytes at `start`
    /// (memory this process allocated and has not written yet; the advice only changes how
    /// later page faults are served).
    static func adviseHugePages(_ start: UnsafeMutableRawPointer, bytes: Int) {
        #if canImport(Glibc)
        let first = (Int(bitPattern: start) + hugePage - 1) & ~(hugePage - 1)
        let last = (Int(bitPattern: start) + bytes) & ~(hugePage - 1)
        guard last > first, let aligned = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(aligned, last - first, MADV_HUGEPAGE)  // a refusal leaves ordinary pages
        #endif
    }
}
