import Synchronization

/// Elements per column chunk (2^16): small enough that a partly filled last chunk wastes
/// little, large enough that the chunk directory stays tiny (153 chunks for 10M rows).
let columnChunkShift = 16
let columnChunkCapacity = 1 << columnChunkShift
let columnChunkMask = columnChunkCapacity - 1

/// A fixed-capacity buffer of one column. Slots are written once, in order, by the single
/// writer (who holds the project lock) and never changed afterwards.
///
/// Invariant: slots below the published count are initialised and immutable, and every
/// initialised slot is published before the project lock is released. Readers read only
/// slots below the count of the snapshot they took under the project lock, so a slot is
/// never read while it is written. `initialized` is atomic only so `deinit`, which may run
/// on a reader's thread, sees the writer's last count (acquire pairs with release).
final class ColumnChunk<Element>: @unchecked Sendable {  // @unchecked: see the invariant above.
    let base: UnsafeMutablePointer<Element>
    private let initialized = Atomic<Int>(0)

    init() {
        base = .allocate(capacity: columnChunkCapacity)
    }

    /// Writer only: records that slots `0..<count` are initialised (call before the lock
    /// is released, so a later `deinit` on any thread sees it).
    func publish(count: Int) {
        initialized.store(count, ordering: .releasing)
    }

    deinit {
        base.deinitialize(count: initialized.load(ordering: .acquiring))
        base.deallocate()
    }
}

/// An append-only column (writer side): chunked, so appending never moves or copies
/// existing elements and a reader's snapshot stays valid while the writer appends.
struct AppendOnlyColumn<Element>: @unchecked Sendable {  // @unchecked: mutated only under the project lock.
    private(set) var chunks: [ColumnChunk<Element>] = []
    /// `chunks[i].base` for every chunk, so reads load no class reference (and retain none).
    private var bases: [UnsafeMutablePointer<Element>] = []
    private(set) var count = 0
    /// Base of the last chunk, so an append touches no reference count.
    private var tail: UnsafeMutablePointer<Element>?

    /// Initialises the next slot. Its chunk learns the new count at `publish()` (or when
    /// the chunk fills); the caller publishes before releasing the project lock.
    mutating func append(_ value: Element) {
        let slot = count & columnChunkMask
        if slot == 0 {
            if let last = chunks.last { last.publish(count: columnChunkCapacity) }
            let chunk = ColumnChunk<Element>()
            chunks.append(chunk)
            bases.append(chunk.base)
            tail = chunk.base
        }
        (tail.unsafelyUnwrapped + slot).initialize(to: value)  // set whenever slot 0 of a chunk was written
        count += 1
    }

    /// Tells the last chunk how many of its slots are initialised (see `ColumnChunk`).
    func publish() {
        guard let last = chunks.last else { return }
        let inLast = count & columnChunkMask
        last.publish(count: inLast == 0 ? columnChunkCapacity : inLast)
    }

    /// Writer only (under the lock): the element at `index`.
    subscript(index: Int) -> Element {
        precondition(index >= 0 && index < count, "column index out of range")
        return bases[index >> columnChunkShift][index & columnChunkMask]
    }

    /// The first `count` elements as an immutable view. Take it under the project lock.
    func snapshot() -> ColumnSnapshot<Element> { ColumnSnapshot(chunks: chunks, bases: bases, count: count) }

    /// Bytes allocated for the elements (capacity of every chunk).
    var allocatedBytes: Int { chunks.count * columnChunkCapacity * MemoryLayout<Element>.stride }
}

/// An immutable view of the first `count` elements of a column. Reading it needs no
/// lock: the writer only initialises slots at or after `count` (see `ColumnChunk`).
struct ColumnSnapshot<Element>: @unchecked Sendable {  // @unchecked: read-only view of immutable slots.
    private let chunks: [ColumnChunk<Element>]
    /// One base pointer per chunk, so element access does no reference counting.
    private let bases: [UnsafeMutablePointer<Element>]
    let count: Int

    /// `bases[i]` must be `chunks[i].base`.
    init(chunks: [ColumnChunk<Element>], bases: [UnsafeMutablePointer<Element>], count: Int) {
        self.chunks = chunks
        self.bases = bases
        self.count = count
    }

    init() { self.init(chunks: [], bases: [], count: 0) }

    @inline(__always)
    subscript(index: Int) -> Element {
        bases[index >> columnChunkShift][index & columnChunkMask]
    }

    /// Calls `body` with each chunk's elements in `range` (buffer, index of its first element).
    @inline(__always)
    func forEachChunk(in range: Range<Int>, _ body: (UnsafeBufferPointer<Element>, Int) throws -> Void) rethrows {
        var start = range.lowerBound
        while start < range.upperBound {
            let chunk = start >> columnChunkShift
            let offset = start & columnChunkMask
            let n = min(columnChunkCapacity - offset, range.upperBound - start)
            try body(UnsafeBufferPointer(start: bases[chunk] + offset, count: n), start)
            start += n
        }
    }
}
