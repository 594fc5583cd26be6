import Atomics
import Glibc

/// `producers` threads push `items` in total into `queue` while the calling thread takes
/// them in batches of up to `batch`; returns the rate and how often threads slept. The same
/// loop drives the ring and its anchor, with the log's own kind of waiting:
///
/// - the consumer, finding nothing, yields twice (a producer is likely about to publish),
///   then sleeps until a producer pushes (`BenchQueue.sleepUntilPushed()`; each queue wakes
///   its consumer its own cheapest correct way, as the log writer is woken);
/// - a producer that finds the queue full yields twice (the consumer is likely about to
///   drain), then sleeps on a `SpaceEvent` until the consumer frees slots (the log's
///   producers suspend in its waitroom instead).
///
/// Why not yield in a loop (the first version): 2 cores run these 2-5 threads, and a thread
/// that only yields stays runnable, so under load it hands its turn to other processes and
/// back rather than to the one thread that could make progress. Same-run ratios then ranged
/// 0.04x-4x; with waiting threads asleep the ring won 17 of 21 ratios measured while other
/// builds loaded the machine.
func runQueue(_ queue: some BenchQueue, producers: Int, items: Int, batch limit: Int) -> QueueRun {
    let yieldsBeforeSleep = 2
    let perProducer = items / producers
    let space = SpaceEvent()
    let sleeps = ManagedAtomic<Int>(0)
    let clock = ContinuousClock()
    let started = clock.now
    var threads: [pthread_t] = []
    for _ in 0..<producers {
        threads.append(startThread {
            var slept = 0
            for i in 0..<perProducer {
                var tries = 0
                while !queue.push(i) {
                    tries += 1
                    if tries <= yieldsBeforeSleep {
                        sched_yield()
                    } else {
                        slept += 1
                        space.wait { queue.push(i) }
                        break
                    }
                }
            }
            sleeps.wrappingIncrement(by: slept, ordering: .relaxed)
        })
    }
    var received = 0
    var idle = 0
    var parks = 0
    var drains = 0
    var batch: [Int] = []
    batch.reserveCapacity(limit)
    while received < perProducer * producers {
        batch.removeAll(keepingCapacity: true)
        let taken = queue.pop(into: &batch, limit: limit)
        if taken == 0 {
            idle += 1
            if idle <= yieldsBeforeSleep {
                sched_yield()
                continue
            }
            idle = 0
            if queue.sleepUntilPushed() { parks += 1 }
            continue
        }
        idle = 0
        drains += 1
        received += taken
        space.notify()
    }
    for thread in threads { pthread_join(thread, nil) }
    let elapsed = clock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return QueueRun(itemsPerSecond: Double(perProducer * producers) / seconds, consumerParks: parks,
                    producerSleeps: sleeps.load(ordering: .relaxed), drains: drains)
}

/// One `runQueue` measurement.
struct QueueRun {
    var itemsPerSecond: Double
    /// Times the consumer went to sleep on its `ConsumerParker`.
    var consumerParks: Int
    /// Times a producer found the queue full past its yields and slept on the `SpaceEvent`.
    var producerSleeps: Int
    /// Batches the consumer took (calls of `popBatch` that returned items).
    var drains: Int
}

/// Producers sleep here while the queue is full; the consumer wakes them all after it frees
/// slots. No lost wake-up (Dekker, as in `ConsumerParker`): a waiter increments `waiters`
/// (sequentially consistent) before its last attempt; the notifier frees slots, issues a
/// sequentially consistent fence, then reads `waiters`. Either the attempt sees the freed
/// slots, or the notifier sees the waiter and bumps `generation` under the mutex, which the
/// waiter compares under the same mutex before `pthread_cond_wait`.
///
/// `@unchecked Sendable`: the pthread mutex and condition live at stable heap addresses and
/// are used only through pthread calls; the rest are atomics.
final class SpaceEvent: @unchecked Sendable {
    private let waiters = ManagedAtomic<Int>(0)
    private let generation = ManagedAtomic<Int>(0)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Returns once `attempt()` succeeded, sleeping between failed attempts.
    func wait(_ attempt: () -> Bool) {
        while true {
            waiters.wrappingIncrement(ordering: .sequentiallyConsistent)
            let seen = generation.load(ordering: .sequentiallyConsistent)
            if attempt() {
                waiters.wrappingDecrement(ordering: .relaxed)
                return
            }
            pthread_mutex_lock(mutex)
            while generation.load(ordering: .relaxed) == seen { pthread_cond_wait(condition, mutex) }
            pthread_mutex_unlock(mutex)
            waiters.wrappingDecrement(ordering: .relaxed)
        }
    }

    /// Consumer, after freeing slots: wakes every sleeping producer (a fence and a load when
    /// none sleeps).
    func notify() {
        Atomics.atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard waiters.load(ordering: .relaxed) > 0 else { return }
        pthread_mutex_lock(mutex)
        generation.wrappingIncrement(ordering: .relaxed)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
