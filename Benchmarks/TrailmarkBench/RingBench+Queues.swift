import Dispatch
import DequeModule
import Synchronization
import TrailmarkStorage

/// What `runQueue` drives: a bounded queue of `Int` and the way its consumer sleeps when it
/// finds nothing and is woken by producers.
protocol BenchQueue: Sendable {
    /// Producer: adds `value` and wakes the consumer if it sleeps; false (nothing added, no
    /// wake-up) when the queue is full.
    func push(_ value: Int) -> Bool
    /// Consumer: moves up to `limit` values, oldest first, into `output`; returns how many.
    func pop(into output: inout [Int], limit: Int) -> Int
    /// Consumer, after finding nothing: sleeps until a producer pushes, or returns at once if
    /// something was pushed meanwhile. Returns whether it slept.
    func sleepUntilPushed() -> Bool
}

/// The ring as the log drives it: `unparkAfterClaim()` after each push (one load while the
/// consumer is awake), and the consumer re-reads `hasClaimedElement` before it parks.
struct RingQueue: BenchQueue {
    let ring: MPSCRing<Int>
    let parker = ConsumerParker()

    init(capacity: Int) { ring = MPSCRing(capacity: capacity) }

    func push(_ value: Int) -> Bool {
        guard ring.tryEnqueue(value) == .enqueued else { return false }
        parker.unparkAfterClaim()
        return true
    }

    func pop(into output: inout [Int], limit: Int) -> Int { ring.drain(into: &output, limit: limit) }

    func sleepUntilPushed() -> Bool {
        parker.prepareToPark()
        if ring.hasClaimedElement {
            parker.cancelPark()
            return false
        }
        parker.park()
        return true
    }
}

/// The anchor for the ring: a `Deque` behind a `Mutex`, bounded to the same capacity, as
/// one would write it: the consumer's "asleep" flag lives under the same lock, so a push
/// learns whether to wake it without any extra fence, and exactly one push signals each
/// sleep.
final class BoundedMutexDeque: BenchQueue {
    private struct State {
        var deque = Deque<Int>()
        var consumerAsleep = false
    }

    private let state: Mutex<State>
    private let capacity: Int
    private let wake = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        self.capacity = capacity
        var initial = State()
        initial.deque.reserveCapacity(capacity)
        state = Mutex(initial)
    }

    func push(_ value: Int) -> Bool {
        let (added, wakeConsumer) = state.withLock { state -> (Bool, Bool) in
            guard state.deque.count < capacity else { return (false, false) }
            state.deque.append(value)
            defer { state.consumerAsleep = false }
            return (true, state.consumerAsleep)
        }
        if wakeConsumer { wake.signal() }
        return added
    }

    /// Takes up to `limit` values under one lock acquisition.
    func pop(into output: inout [Int], limit: Int) -> Int {
        state.withLock { state in
            let count = min(limit, state.deque.count)
            output.append(contentsOf: state.deque.prefix(count))
            state.deque.removeFirst(count)
            return count
        }
    }

    func sleepUntilPushed() -> Bool {
        let sleep = state.withLock { state in
            if state.deque.isEmpty { state.consumerAsleep = true }
            return state.consumerAsleep
        }
        if sleep { wake.wait() }
        return sleep
    }
}
