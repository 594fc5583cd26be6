import Atomics

/// A bounded multi-producer, single-consumer ring in the style of Dmitry Vyukov's bounded
/// MPMC queue: a power-of-two array of slots, each with its own sequence number.
///
/// The log uses it between producers and its writer thread; it is public so the benchmark
/// suite can measure it against a `Mutex<Deque>`.
///
/// Slot `i` cycles through two states, told apart by its sequence `s` relative to a
/// position `p` with `p & mask == i`:
///
///     s == p        empty, free for the producer that claims position p
///     s == p + 1    full, holding the element enqueued at position p
///     (after the consumer takes it: s = p + capacity, empty for the next lap)
///
/// Producers claim a position with a CAS on `enqueuePosition`, write the element, then
/// publish it by storing `p + 1` into the slot's sequence. The single consumer owns
/// `dequeuePosition`: it reads the slot at that position, and if the sequence says
/// "full" it moves the element out and stores `p + capacity` to hand the slot back.
///
/// Memory ordering (why each ordering is enough):
/// - A producer's element write happens before its **release** store of `p + 1`; the
///   consumer's **acquire** load of that sequence then sees the whole element.
/// - The consumer's move-out happens before its **release** store of `p + capacity`; the
///   producer of the next lap reads that sequence with **acquire** before it overwrites the
///   slot, so it never writes over an element still being read.
/// - `enqueuePosition` itself only arbitrates between producers (relaxed CAS): the data
///   hand-off is carried entirely by the per-slot sequences above.
/// - Waking a parked consumer needs the publish (a store) ordered before the producer's
///   read of the "parked" flag (a load); `ConsumerParker.unpark()` starts with a
///   sequentially consistent fence for exactly that, so the ring's own hot path stays a
///   plain release store (Dekker's pattern; the consumer's side has the matching fence).
///
/// Batch drain (`drain(into:limit:)`): the consumer first finds the run of published slots
/// `[start, end)` (an **acquire** load of each sequence, as above), moves those elements out
/// in at most two contiguous copies, and only then frees the run with **release** stores of
/// `p + capacity` (each move-out happens before the store that frees its slot). Freeing the
/// run after the moves, not slot by slot, hands producers a burst of free slots at once
/// instead of having a producer of the next lap write the cache line the consumer is still
/// reading. (Per-slot orderings rather than one fence per run: the same instructions on
/// x86, and ThreadSanitizer understands them.)
///
/// Closing sets `closedBit` in `enqueuePosition` (one atomic OR), after which no position can
/// be claimed; positions claimed before that are still published and drained.
///
/// `@unchecked Sendable`: shared mutable state is only the atomics and the slots, whose
/// ownership is handed over by the protocol above; `dequeuePosition` is touched only by the
/// single consumer, a contract checked by `consumerBusy`.
public final class MPSCRing<Element>: @unchecked Sendable {
    /// What `tryEnqueue` did.
    public enum EnqueueResult: Equatable, Sendable {
        /// The element is in the ring.
        case enqueued
        /// Every slot is taken; the element was not added.
        case full
        /// `close()` was called; the element was not added.
        case closed
    }

    /// Number of slots (a power of two).
    public let capacity: Int
    @usableFromInline let mask: Int
    /// One sequence per slot, packed (8 to a cache line), like the elements. Padding each to
    /// its own line was measured slower: every element then costs a whole line transfer to
    /// the producer and back to the consumer, where packed lines carry 8 slots each way
    /// (benchmark, 1 producer: padded 40-90, packed 90-110 M items/s on the same machine).
    /// Producers of adjacent positions share a line, but they already share
    /// `enqueuePosition`'s.
    @usableFromInline let sequences: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>
    @usableFromInline let elements: UnsafeMutablePointer<Element>
    /// The positions, each on its own 64-byte cache line (see `RingLayout`): producers hammer
    /// `enqueuePosition`; the consumer writes `dequeuePosition` on every element.
    @usableFromInline let positions: UnsafeMutableRawPointer

    /// Producers' claim counter (plus `closedBit`).
    @inlinable var enqueuePosition: UnsafeAtomic<Int> {
        UnsafeAtomic(at: (positions + RingLayout.enqueueOffset).assumingMemoryBound(to: UnsafeAtomic<Int>.Storage.self))
    }

    /// Consumer-only (plain memory); see `consumerBusy`.
    @inlinable var dequeuePosition: Int {
        get { (positions + RingLayout.dequeueOffset).load(as: Int.self) }
        set { (positions + RingLayout.dequeueOffset).storeBytes(of: newValue, as: Int.self) }
    }

    /// Guards the single-consumer contract (as swift-atomics' LockFreeSingleConsumerStack does).
    @inlinable var consumerBusy: UnsafeAtomic<Bool> {
        UnsafeAtomic(at: (positions + RingLayout.consumerBusyOffset).assumingMemoryBound(to: UnsafeAtomic<Bool>.Storage.self))
    }

    /// Set in `enqueuePosition` once the ring is closed; positions stay far below it.
    @inlinable static var closedBit: Int { 1 << 62 }

    /// Creates an empty ring. Precondition: `capacity` is a power of two, at least 2.
    public init(capacity: Int) {
        precondition(capacity >= 2 && capacity & (capacity - 1) == 0, "ring capacity must be a power of two ≥ 2, got \(capacity)")
        self.capacity = capacity
        mask = capacity - 1
        sequences = .allocate(capacity: capacity)
        for i in 0..<capacity { (sequences + i).initialize(to: .init(i)) }
        elements = .allocate(capacity: capacity)
        positions = .allocate(byteCount: RingLayout.byteCount, alignment: RingLayout.cacheLine)
        positions.initializeMemory(as: UInt8.self, repeating: 0, count: RingLayout.byteCount)
        (positions + RingLayout.enqueueOffset).bindMemory(to: UnsafeAtomic<Int>.Storage.self, capacity: 1)
            .initialize(to: .init(0))
        (positions + RingLayout.consumerBusyOffset).bindMemory(to: UnsafeAtomic<Bool>.Storage.self, capacity: 1)
            .initialize(to: .init(false))
    }

    deinit {
        // Release elements still in the ring (published but never consumed).
        var position = dequeuePosition
        while sequence(at: position).load(ordering: .acquiring) == position + 1 {
            (elements + (position & mask)).deinitialize(count: 1)
            position += 1
        }
        sequences.deinitialize(count: capacity)
        sequences.deallocate()
        elements.deallocate()
        positions.deallocate()
    }

    @inlinable func sequence(at position: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: sequences + (position & mask))
    }

    /// Adds `element` unless the ring is full or closed. Lock-free; any number of producers.
    @inlinable
    public func tryEnqueue(_ element: Element) -> EnqueueResult {
        var position = enqueuePosition.load(ordering: .relaxed)
        while true {
            if position & Self.closedBit != 0 { return .closed }
            let slot = sequence(at: position)
            let difference = slot.load(ordering: .acquiring) &- position
            if difference == 0 {
                let (claimed, current) = enqueuePosition.weakCompareExchange(
                    expected: position, desired: position + 1, ordering: .relaxed)
                if claimed { break }
                position = current
            } else if difference < 0 {
                // The slot still holds the element from the previous lap: full.
                return .full
            } else {
                // Another producer claimed this position first; reload.
                position = enqueuePosition.load(ordering: .relaxed)
            }
        }
        (elements + (position & mask)).initialize(to: element)
        sequence(at: position).store(position + 1, ordering: .releasing)
        return .enqueued
    }

    /// Removes the oldest published element, or returns nil when there is none yet.
    /// Single consumer only.
    @inlinable
    public func tryDequeue() -> Element? {
        precondition(!consumerBusy.exchange(true, ordering: .acquiring), "MPSCRing has a single consumer")
        defer { consumerBusy.store(false, ordering: .releasing) }
        return dequeueAsConsumer()
    }

    /// Moves up to `limit` published elements into `output`, oldest first; returns how many.
    /// Single consumer; the contract is checked once per call, not per element. See "Batch
    /// drain" in the type's documentation for the orderings.
    @inlinable
    public func drain(into output: inout [Element], limit: Int) -> Int {
        precondition(!consumerBusy.exchange(true, ordering: .acquiring), "MPSCRing has a single consumer")
        defer { consumerBusy.store(false, ordering: .releasing) }
        let start = dequeuePosition
        let end = start + min(limit, capacity)
        let sequences = sequences, mask = mask
        var position = start
        while position < end, UnsafeAtomic(at: sequences + (position & mask)).load(ordering: .acquiring) == position &+ 1 {
            position &+= 1
        }
        guard position > start else { return 0 }
        // Slots [start, position) are published: move them out in at most two contiguous
        // runs (the ring may wrap), then hand them back.
        let first = start & mask
        let firstRun = min(position - start, capacity - first)
        appendMoving(elements + first, count: firstRun, to: &output)
        appendMoving(elements, count: position - start - firstRun, to: &output)
        let lap = capacity
        var freed = start
        while freed < position {
            UnsafeAtomic(at: sequences + (freed & mask)).store(freed &+ lap, ordering: .releasing)
            freed &+= 1
        }
        dequeuePosition = position
        return position - start
    }

    /// Appends `count` elements from `source` to `output` and leaves `source` uninitialized
    /// (a copy then a deinitialize: one memcpy for trivial elements).
    @inlinable
    func appendMoving(_ source: UnsafeMutablePointer<Element>, count: Int, to output: inout [Element]) {
        guard count > 0 else { return }
        output.append(contentsOf: UnsafeBufferPointer(start: source, count: count))
        source.deinitialize(count: count)
    }

    /// The dequeue itself; the caller holds the single-consumer check.
    @inlinable
    func dequeueAsConsumer() -> Element? {
        let position = dequeuePosition
        let slot = sequence(at: position)
        guard slot.load(ordering: .acquiring) == position + 1 else { return nil }
        let element = (elements + (position & mask)).move()
        slot.store(position + capacity, ordering: .releasing)
        dequeuePosition = position + 1
        return element
    }

    /// Whether the next element is published (consumer side; after
    /// `ConsumerParker.prepareToPark()`'s fence this cannot miss a publish).
    var hasPublishedElement: Bool {
        let position = dequeuePosition
        return sequence(at: position).load(ordering: .sequentiallyConsistent) == position + 1
    }

    /// Whether a producer would find the ring full right now (a snapshot, producer side).
    var isFull: Bool {
        let position = enqueuePosition.load(ordering: .acquiring) & ~Self.closedBit
        return sequence(at: position).load(ordering: .acquiring) &- position < 0
    }

    /// Stops producers from claiming new positions. Idempotent.
    public func close() {
        _ = enqueuePosition.loadThenBitwiseOr(with: Self.closedBit, ordering: .sequentiallyConsistent)
    }

    public var isClosed: Bool { enqueuePosition.load(ordering: .sequentiallyConsistent) & Self.closedBit != 0 }

    /// Closed, and every claimed position consumed: nothing more can ever arrive.
    /// Consumer side only.
    var isClosedAndDrained: Bool {
        let value = enqueuePosition.load(ordering: .sequentiallyConsistent)
        return value & Self.closedBit != 0 && value & ~Self.closedBit == dequeuePosition
    }
}

/// Where `MPSCRing` puts its hot words (outside the generic type: no static stored
/// properties there). Each position gets its own 64-byte cache line.
@usableFromInline
enum RingLayout {
    @usableFromInline static let cacheLine = 64
    @usableFromInline static let enqueueOffset = cacheLine
    @usableFromInline static let dequeueOffset = 2 * cacheLine
    @usableFromInline static let consumerBusyOffset = 2 * cacheLine + 8
    @usableFromInline static let byteCount = 4 * cacheLine
}
