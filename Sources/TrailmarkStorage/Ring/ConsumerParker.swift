import Atomics
import Dispatch

/// Puts the ring's single consumer to sleep when there is nothing to do, and lets producers
/// wake it, without busy-waiting and without lost wake-ups.
///
/// Protocol (Dekker's pattern with two sequentially consistent fences):
///
///     consumer                                  producer
///     prepareToPark(): parked = true; FENCE     publish element (release store)
///     re-check for work                         unpark(): FENCE; if parked.exchange(false) → signal
///
/// (`unparkAfterClaim()` drops the producer's fence where the work was announced by a
/// sequentially consistent read-modify-write; see there.)
///     work found → cancelPark()
///     none      → park()  (semaphore wait)
///
/// The two seq_cst fences are totally ordered. If the producer's fence comes first, the
/// publish before it is visible to the consumer's re-check after its fence (no sleep); if the
/// consumer's comes first, `parked = true` is visible to the producer's load (it signals). A signal that
/// arrives after `cancelPark()` raced with it is consumed there, so the semaphore never
/// accumulates permits.
///
/// Public so the benchmark can drive `MPSCRing` (and its `Mutex<Deque>` anchor) with the
/// log writer's own waiting.
public final class ConsumerParker: Sendable {
    private let parked = ManagedAtomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    public init() {}

    /// Consumer: announce the intention to sleep; then re-check for work.
    public func prepareToPark() {
        parked.store(true, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
    }

    /// Consumer: work turned up after `prepareToPark()`; stay awake.
    public func cancelPark() {
        if !parked.exchange(false, ordering: .sequentiallyConsistent) {
            // A producer cleared the flag first and has signalled (or is about to): take
            // that permit so the next park really sleeps.
            semaphore.wait()
        }
    }

    /// Consumer: sleep until a producer calls `unpark()` (returns at once if one already did).
    public func park() {
        semaphore.wait()
    }

    /// Consumer: like `park()`, but gives up at `deadline` (then the park is cancelled as by
    /// `cancelPark()`, so a wake-up racing with the timeout leaves no stray permit).
    public func park(until deadline: DispatchTime) {
        if semaphore.wait(timeout: deadline) == .timedOut { cancelPark() }
    }

    /// Producer (or closer): wake the consumer if it is parked or about to park.
    /// Costs a fence and one load when the consumer is awake.
    public func unpark() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        unparkAfterClaim()
    }

    /// Producer: like `unpark()`, for work announced by a **sequentially consistent
    /// read-modify-write** that the consumer re-reads (sequentially consistent) between
    /// `prepareToPark()` and `park()`: `MPSCRing.tryEnqueue`'s claim of a position, re-read
    /// by `MPSCRing.hasClaimedElement`. Costs one load when the consumer is awake (a plain
    /// `mov` on x86), no fence.
    ///
    /// Why no wake-up is lost: all the operations below are in the single total order S of
    /// sequentially consistent operations, which agrees with each thread's program order.
    /// The producer's claim C comes before its load L of `parked`; the consumer's store P of
    /// `parked = true` before its re-read R of the claim counter. If L does not see P (the
    /// producer signals nothing), L precedes P in S, so C < L < P < R: R sees C's claim (or a
    /// later one), and the consumer does not sleep. Otherwise L sees `true` and the producer
    /// signals. (`unpark()` is the same with the fence standing in for C.) A claimed position
    /// may not be published yet when R sees it; the consumer then stays awake, yielding, until
    /// it is: the producer publishes right after its claim.
    public func unparkAfterClaim() {
        if parked.load(ordering: .sequentiallyConsistent),
           parked.exchange(false, ordering: .sequentiallyConsistent) {
            semaphore.signal()
        }
    }
}
