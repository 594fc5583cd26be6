import Atomics
import Dispatch
import Glibc
import Testing
@testable import TrailmarkStorage

extension MPSCRingTests {
    /// The wake-up the log uses: producers call `unparkAfterClaim()` (one load, no fence) and
    /// the consumer re-reads `hasClaimedElement` between `prepareToPark()` and `park()`.
    ///
    /// Producers push in bursts and, after each burst, wait until the consumer has taken all
    /// of their elements, so between bursts the ring empties and the consumer parks; the
    /// next burst must wake it. A lost wake-up leaves the consumer asleep with elements in the
    /// ring and the producers waiting for it: after 10 s a producer counts a stall and wakes
    /// the consumer itself (so the test ends instead of hanging). A wrong hand-off would lose,
    /// repeat or reorder elements.
    ///
    /// With `timedParks`, every second park gives up after 20 µs: a timeout racing with a
    /// wake-up must neither lose a wake-up nor an element. (A park may return with nothing
    /// claimed: a producer that read `parked` in an earlier round can clear it in this one;
    /// that wake-up is spurious but harmless.)
    @Test(arguments: [(1, false), (2, false), (4, false), (8, false), (4, true)])
    func claimWakeUpsLoseNothingAcrossManyParks(producers: Int, timedParks: Bool) async throws {
        let bursts = 300
        let burst = 40
        let ring = MPSCRing<(producer: Int, index: Int)>(capacity: 32)
        let parker = ConsumerParker()
        let total = producers * bursts * burst
        let taken = (0..<producers).map { _ in ManagedAtomic<Int>(0) }
        let stalls = ManagedAtomic<Int>(0)
        let result = WakeUpResult()

        let consumer = try JoinableThread {
            var nextIndex = [Int](repeating: 0, count: producers)
            var received = 0, outOfOrder = 0, parks = 0
            var batch: [(producer: Int, index: Int)] = []
            while received < total {
                batch.removeAll(keepingCapacity: true)
                if ring.drain(into: &batch, limit: 16) > 0 {
                    for element in batch {
                        if element.index != nextIndex[element.producer] { outOfOrder += 1 }
                        nextIndex[element.producer] = element.index + 1
                        taken[element.producer].store(element.index + 1, ordering: .releasing)
                    }
                    received += batch.count
                    continue
                }
                if ring.hasClaimedElement {
                    sched_yield() // claimed, not yet published
                    continue
                }
                parker.prepareToPark()
                if ring.hasClaimedElement {
                    parker.cancelPark()
                    continue
                }
                parks += 1
                if timedParks && parks % 2 == 0 {
                    parker.park(until: .now() + .microseconds(20))
                } else {
                    parker.park()
                }
            }
            result.counts = nextIndex
            result.outOfOrder = outOfOrder
            result.parks = parks
        }

        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    for b in 0..<bursts {
                        for i in 0..<burst {
                            while ring.tryEnqueue((producer, b * burst + i)) != .enqueued { await Task.yield() }
                            parker.unparkAfterClaim()
                        }
                        // Liveness guard, not a speed check: a woken consumer takes 40
                        // elements in microseconds; only a lost wake-up waits 10 s.
                        let giveUp = DispatchTime.now() + .seconds(10)
                        while taken[producer].load(ordering: .acquiring) < (b + 1) * burst {
                            if DispatchTime.now() > giveUp {
                                stalls.wrappingIncrement(ordering: .relaxed)
                                parker.unpark()
                            }
                            try? await Task.sleep(for: .microseconds(20))
                        }
                    }
                }
            }
        }
        consumer.join()
        #expect(stalls.load(ordering: .relaxed) == 0, "the consumer slept through a burst: a lost wake-up")
        #expect(result.counts == [Int](repeating: bursts * burst, count: producers))
        #expect(result.outOfOrder == 0, "elements out of per-producer order")
        #expect(result.parks > 0, "the consumer never parked: the wake-up path was not exercised")
    }
}

/// Written by the consumer thread before it ends, read after `join()`.
/// `@unchecked Sendable`: the join orders the writes before the reads.
private final class WakeUpResult: @unchecked Sendable {
    var counts: [Int] = []
    var outOfOrder = -1
    var parks = 0
}
