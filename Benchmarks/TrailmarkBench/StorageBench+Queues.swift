import DequeModule
import Glibc
import Synchronization

/// `producers` threads push `items` in total through a queue of 1024 slots (retrying with
/// sched_yield when full) while the calling thread takes them in batches of up to 256, as
/// the log writer does; returns seconds. The same loop drives the ring and its anchor.
///
/// Waiting is yielding, not sleeping: a parking variant (consumer on `ConsumerParker`,
/// producers asleep on a condition until the consumer frees slots, as the log does) was
/// measured and dropped: each hand-off then costs a wake-up, which on 2 busy shared cores
/// took milliseconds (both queues fell to 0.5-3 M items/s with 2 producers).
func runQueue(producers: Int, items: Int, push: @escaping @Sendable (Int) -> Bool,
              popBatch: (inout [Int]) -> Int) -> Double {
    let perProducer = items / producers
    let clock = ContinuousClock()
    let started = clock.now
    var threads: [pthread_t] = []
    for _ in 0..<producers {
        threads.append(startThread {
            for i in 0..<perProducer { while !push(i) { sched_yield() } }
        })
    }
    var received = 0
    var batch: [Int] = []
    batch.reserveCapacity(256)
    while received < perProducer * producers {
        batch.removeAll(keepingCapacity: true)
        let taken = popBatch(&batch)
        if taken == 0 { sched_yield() }
        received += taken
    }
    for thread in threads { pthread_join(thread, nil) }
    let elapsed = clock.now - started
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The anchor for the ring: a `Deque` behind a `Mutex`, bounded to the same capacity.
final class BoundedMutexDeque: Sendable {
    private let state: Mutex<Deque<Int>>
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        var deque = Deque<Int>()
        deque.reserveCapacity(capacity)
        state = Mutex(deque)
    }

    func push(_ value: Int) -> Bool {
        state.withLock { deque in
            guard deque.count < capacity else { return false }
            deque.append(value)
            return true
        }
    }

    /// Takes up to `limit` values under one lock acquisition.
    func pop(into output: inout [Int], limit: Int) -> Int {
        state.withLock { deque in
            let count = min(limit, deque.count)
            output.append(contentsOf: deque.prefix(count))
            deque.removeFirst(count)
            return count
        }
    }
}
