import Atomics
import Dispatch

/// Puts the ring's single consumer to sleep when there is nothing to do, and lets producers
/// wake it, without busy-waiting and without lost wake-ups.
///
/// Protocol (Dekker's pattern, every access to `parked` sequentially consistent):
///
///     consumer                                producer
///     prepareToPark()   parked = true         publish element (seq_cst store)
///     re-check for work (seq_cst loads)       unpark(): if parked.exchange(false) → signal
///     work found → cancelPark()
///     none      → park()  (semaphore wait)
///
/// In the total order of seq_cst operations either the producer's publish precedes the
/// consumer's re-check (the consumer sees the work and does not sleep) or the consumer's
/// `parked = true` precedes the producer's read of it (the producer signals). A signal that
/// arrives after `cancelPark()` raced with it is consumed there, so the semaphore never
/// accumulates permits.
final class ConsumerParker: Sendable {
    private let parked = ManagedAtomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    init() {}

    /// Consumer: announce the intention to sleep; then re-check for work.
    func prepareToPark() {
        parked.store(true, ordering: .sequentiallyConsistent)
    }

    /// Consumer: work turned up after `prepareToPark()`; stay awake.
    func cancelPark() {
        if !parked.exchange(false, ordering: .sequentiallyConsistent) {
            // A producer cleared the flag first and has signalled (or is about to): take
            // that permit so the next park really sleeps.
            semaphore.wait()
        }
    }

    /// Consumer: sleep until a producer calls `unpark()` (returns at once if one already did).
    func park() {
        semaphore.wait()
    }

    /// Producer (or closer): wake the consumer if it is parked or about to park.
    /// Costs one seq_cst load when the consumer is awake.
    func unpark() {
        if parked.load(ordering: .sequentiallyConsistent),
           parked.exchange(false, ordering: .sequentiallyConsistent) {
            semaphore.signal()
        }
    }
}
