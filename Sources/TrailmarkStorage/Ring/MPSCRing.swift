import Atomics

/// A bounded multi-producer, single-consumer ring: a power-of-two array of slots, each with
/// its own sequence number that publishes the element in it (as in Dmitry Vyukov's bounded
/// queue), and the consumer's position as the one word that hands slots back to producers
/// (as the LMAX Disruptor's multi-producer sequencer does: with a single consumer a
/// per-slot hand-back store is not needed).
///
/// The log uses it between producers and its writer thread; it is public so the benchmark
/// suite can measure it against a `Mutex<Deque>`.
///
/// Positions count up for ever: `enqueuePosition` is the next one a producer claims,
/// `dequeuePosition` the next one the consumer takes; position `p` lives in slot `p & mask`.
///
///     slot p & mask is free for position p   iff   p - dequeuePosition < capacity
///     position p is published                 iff   sequence[p & mask] == p + 1
///
/// (The slot's sequence still says `p + 1 - capacity`, the previous lap, until the producer
/// of `p` stores `p + 1`; initially 0, never `p + 1` for a position of the first lap.)
///
/// Producers claim a position with a CAS on `enqueuePosition`, but only after seeing it free
/// by a consumer position: first the copy producers share in `cachedDequeuePosition` (on
/// their own cache line), and only when that copy says "full" the consumer's real position,
/// which then refreshes the copy. A producer writes the element, then publishes it by storing
/// `p + 1` into the slot's sequence. The consumer finds the run of published positions from
/// `dequeuePosition`, moves those elements out, and hands the whole run back with one store
/// of its new position.
///
/// Why this layout: the consumer never writes the slots' sequence lines, so a line of
/// sequences travels once per lap (to the producers and back to the consumer's read) rather
/// than three times (the consumer's read, its hand-back write, the next producer's read
/// before its write), and producers read the consumer's line about once per drained run.
///
/// Memory ordering (why each ordering is enough):
/// - A producer's element write happens before its **release** store of `p + 1`; the
///   consumer's **acquire** load of that sequence then sees the whole element.
/// - The consumer moves a run out before its **release** store of `dequeuePosition`. A
///   producer reads that position with **acquire** (directly, or from
///   `cachedDequeuePosition`, which producers store with **release** after such an acquire
///   load and read with **acquire**: a chain of happens-before edges back to the consumer's
///   store), then writes slot `p & mask` only if `p - position < capacity`, i.e. only if the
///   element of position `p - capacity` was already moved out.
/// - The shared copy may go backwards (two producers refreshing it race); a stale copy only
///   says "full" more often, sending producers to the real position.
/// - `enqueuePosition` arbitrates between producers; the data hand-offs are carried by the
///   sequences and the consumer's position above. Its successful CAS is sequentially
///   consistent only for waking the consumer: a parking consumer re-reads the claim counter
///   (`hasClaimedElement`) after announcing it will sleep, and a producer reads the
///   "parked" flag after its claim (`ConsumerParker.unparkAfterClaim()`, which states the
///   argument); so the hot path needs no fence (on x86 the CAS is the same `lock cmpxchg`
///   whatever its ordering). A consumer that sees a claim not yet published stays awake.
///
/// Batch drain (`drain(into:limit:)`): the consumer finds the run of published slots
/// `[start, end)` (an **acquire** load of each sequence, as above; the same instruction as a
/// plain load on x86, and ThreadSanitizer understands it), moves those elements out in at
/// most two contiguous copies, then hands the run back with one release store.
///
/// Closing sets `closedBit` in `enqueuePosition` (one atomic OR), after which no position can
/// be claimed; positions claimed before that are still published and drained.
///
/// `@unchecked Sendable`: shared mutable state is only the atomics and the slots, whose
/// ownership is handed over by the protocol above; `dequeuePosition` is written only by the
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
    /// One publication sequence per slot, packed (8 to a cache line), like the elements: a
    /// producer filling adjacent positions writes each line once for 8 elements.
    @usableFromInline let sequences: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>
    @usableFromInline let elements: UnsafeMutablePointer<Element>
    /// The positions and the consumer's flag, on separate cache lines (see `RingLayout`).
    @usableFromInline let positions: UnsafeMutableRawPointer

    /// Producers' claim counter (plus `closedBit`).
    @inlinable var enqueuePosition: UnsafeAtomic<Int> { atomic(at: RingLayout.enqueueOffset) }

    /// Producers' shared copy of `dequeuePosition` (possibly stale, never ahead of it).
    @inlinable var cachedDequeuePosition: UnsafeAtomic<Int> { atomic(at: RingLayout.cachedDequeueOffset) }

    /// The next position the consumer takes; written only by the consumer (see `consumerBusy`).
    @inlinable var dequeuePosition: UnsafeAtomic<Int> { atomic(at: RingLayout.dequeueOffset) }

    /// Guards the single-consumer contract (as swift-atomics' LockFreeSingleConsumerStack does).
    @inlinable var consumerBusy: UnsafeAtomic<Bool> {
        UnsafeAtomic(at: (positions + RingLayout.consumerBusyOffset).assumingMemoryBound(to: UnsafeAtomic<Bool>.Storage.self))
    }

    @inlinable func atomic(at offset: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (positions + offset).assumingMemoryBound(to: UnsafeAtomic<Int>.Storage.self))
    }

    /// Set in `enqueuePosition` once the ring is closed; positions stay far below it.
    @inlinable static var closedBit: Int { 1 << 62 }

    /// Creates an empty ring. Precondition: `capacity` is a power of two, at least 2.
    public init(capacity: Int) {
        precondition(capacity >= 2 && capacity & (capacity - 1) == 0, "ring capacity must be a power of two ≥ 2, got \(capacity)")
        self.capacity = capacity
        mask = capacity - 1
        sequences = .allocate(capacity: capacity)
        sequences.initialize(repeating: .init(0), count: capacity)
        elements = .allocate(capacity: capacity)
        positions = .allocate(byteCount: RingLayout.byteCount, alignment: RingLayout.lineBytes)
        positions.initializeMemory(as: UInt8.self, repeating: 0, count: RingLayout.byteCount)
        for offset in [RingLayout.enqueueOffset, RingLayout.cachedDequeueOffset, RingLayout.dequeueOffset] {
            (positions + offset).bindMemory(to: UnsafeAtomic<Int>.Storage.self, capacity: 1).initialize(to: .init(0))
        }
        (positions + RingLayout.consumerBusyOffset).bindMemory(to: UnsafeAtomic<Bool>.Storage.self, capacity: 1)
            .initialize(to: .init(false))
    }

    deinit {
        // Release elements still in the ring (published but never consumed).
        var position = dequeuePosition.load(ordering: .relaxed)
        while sequence(at: position).load(ordering: .acquiring) == position &+ 1 {
            (elements + (position & mask)).deinitialize(count: 1)
            position &+= 1
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
        let claims = enqueuePosition
        var position = claims.load(ordering: .relaxed)
        var consumer = cachedDequeuePosition.load(ordering: .acquiring)
        while true {
            if position & Self.closedBit != 0 { return .closed }
            if position &- consumer >= capacity {
                // Full by the shared copy: ask the consumer's own position.
                consumer = dequeuePosition.load(ordering: .acquiring)
                // `position` may be stale, but positions only grow: full now.
                if position &- consumer >= capacity { return .full }
                cachedDequeuePosition.store(consumer, ordering: .releasing)
            }
            // Sequentially consistent on success: the claim is what a parking consumer
            // re-reads (`hasClaimedElement`, `ConsumerParker.unparkAfterClaim()`).
            let (claimed, current) = claims.weakCompareExchange(
                expected: position, desired: position &+ 1,
                successOrdering: .sequentiallyConsistent, failureOrdering: .relaxed)
            if claimed { break }
            position = current
        }
        (elements + (position & mask)).initialize(to: element)
        sequence(at: position).store(position &+ 1, ordering: .releasing)
        return .enqueued
    }

    /// Removes the oldest published element, or returns nil when there is none yet.
    /// Single consumer only.
    @inlinable
    public func tryDequeue() -> Element? {
        precondition(!consumerBusy.exchange(true, ordering: .acquiring), "MPSCRing has a single consumer")
        defer { consumerBusy.store(false, ordering: .releasing) }
        let position = dequeuePosition.load(ordering: .relaxed)
        guard sequence(at: position).load(ordering: .acquiring) == position &+ 1 else { return nil }
        let element = (elements + (position & mask)).move()
        dequeuePosition.store(position &+ 1, ordering: .releasing)
        return element
    }

    /// Moves up to `limit` published elements into `output`, oldest first; returns how many.
    /// Single consumer; the contract is checked once per call, not per element. See "Batch
    /// drain" in the type's documentation for the orderings.
    @inlinable
    public func drain(into output: inout [Element], limit: Int) -> Int {
        precondition(!consumerBusy.exchange(true, ordering: .acquiring), "MPSCRing has a single consumer")
        defer { consumerBusy.store(false, ordering: .releasing) }
        let start = dequeuePosition.load(ordering: .relaxed)
        let end = start &+ min(limit, capacity)
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
        dequeuePosition.store(position, ordering: .releasing)
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

    /// Whether the next element is published (consumer side; after
    /// `ConsumerParker.prepareToPark()`'s fence this cannot miss a publish whose producer
    /// then called `ConsumerParker.unpark()`).
    var hasPublishedElement: Bool {
        let position = dequeuePosition.load(ordering: .relaxed)
        return sequence(at: position).load(ordering: .sequentiallyConsistent) == position &+ 1
    }

    /// Whether a producer has claimed a position the consumer has not taken yet: published,
    /// or about to be (its producer is between its claim and its publish). Consumer side.
    /// Between `ConsumerParker.prepareToPark()` and `park()` this cannot miss a claim whose
    /// producer then skipped the wake-up of `ConsumerParker.unparkAfterClaim()`.
    public var hasClaimedElement: Bool {
        enqueuePosition.load(ordering: .sequentiallyConsistent) & ~Self.closedBit != dequeuePosition.load(ordering: .relaxed)
    }

    /// Whether a producer would find the ring full right now (a snapshot, producer side).
    var isFull: Bool {
        let position = enqueuePosition.load(ordering: .acquiring) & ~Self.closedBit
        return position &- dequeuePosition.load(ordering: .acquiring) >= capacity
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
        return value & Self.closedBit != 0 && value & ~Self.closedBit == dequeuePosition.load(ordering: .relaxed)
    }
}
