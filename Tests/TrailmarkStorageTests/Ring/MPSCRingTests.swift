import Dispatch
import Synchronization
import Testing
@testable import TrailmarkStorage

/// The ring's own suite; `make test-tsan` runs it under ThreadSanitizer.
@Suite struct MPSCRingTests {
    @Test func emptyRingDequeuesNothing() {
        let ring = MPSCRing<Int>(capacity: 4)
        #expect(ring.tryDequeue() == nil)
        #expect(!ring.hasPublishedElement)
    }

    @Test func fullAtCapacityAndFreedByOneDequeue() {
        let ring = MPSCRing<Int>(capacity: 4)
        for i in 0..<4 { #expect(ring.tryEnqueue(i) == .enqueued) }
        #expect(ring.tryEnqueue(99) == .full)
        #expect(ring.tryDequeue() == 0)
        #expect(ring.tryEnqueue(4) == .enqueued)
        #expect(ring.tryEnqueue(100) == .full)
        var out: [Int] = []
        #expect(ring.drain(into: &out, limit: 10) == 4)
        #expect(out == [1, 2, 3, 4])
        #expect(ring.tryDequeue() == nil)
    }

    @Test func wrapsAroundManyLapsInOrder() {
        let ring = MPSCRing<Int>(capacity: 8)
        var next = 0
        var expected = 0
        for lap in 0..<1000 {
            let burst = lap % 9 // 0...8: empty, partial and full laps
            for _ in 0..<burst {
                #expect(ring.tryEnqueue(next) == .enqueued)
                next += 1
            }
            for _ in 0..<burst {
                #expect(ring.tryDequeue() == expected)
                expected += 1
            }
        }
        #expect(expected == next)
    }

    @Test func closeRefusesNewElementsButDrainsOldOnes() {
        let ring = MPSCRing<String>(capacity: 4)
        #expect(ring.tryEnqueue("a") == .enqueued)
        ring.close()
        #expect(ring.isClosed)
        #expect(ring.tryEnqueue("b") == .closed)
        #expect(!ring.isClosedAndDrained)
        #expect(ring.tryDequeue() == "a")
        #expect(ring.isClosedAndDrained)
    }

    @Test func releasesElementsLeftInTheRing() {
        final class Tracked: Sendable {}
        weak var weakBox: Tracked?
        do {
            let ring = MPSCRing<Tracked>(capacity: 4)
            let box = Tracked()
            weakBox = box
            #expect(ring.tryEnqueue(box) == .enqueued)
        }
        #expect(weakBox == nil)
    }

    @Test func precondition_capacityMustBePowerOfTwo() async {
        await #expect(processExitsWith: .failure) {
            _ = MPSCRing<Int>(capacity: 6)
        }
    }

    /// Several producer tasks against one parking consumer thread: every element arrives
    /// exactly once, each producer's elements in its order.
    ///
    /// The consumer's results come back through `pthread_join` (which ThreadSanitizer
    /// understands as a happens-before edge), not a `Mutex`: the standard library's Linux
    /// mutex is built on raw futexes that TSan cannot see.
    /// With `timedParks`, every second park gives up after 50 µs (the log writer's gathering
    /// step): a timeout racing with a producer's wake-up must neither hang nor lose an element.
    /// With `drains`, the consumer takes batches of up to 7 (`drain`, which frees a whole run
    /// of slots at once; 7 and the capacity 64 make runs split at the wrap) instead of one
    /// element at a time.
    @Test(arguments: [(1, false, false), (2, false, false), (4, false, false), (8, false, false),
                      (2, true, false), (4, true, false), (1, false, true), (4, false, true), (4, true, true)])
    func producersHammerAParkingConsumer(producers: Int, timedParks: Bool, drains: Bool) async throws {
        let perProducer = 20_000
        let ring = MPSCRing<(producer: Int, index: Int)>(capacity: 64)
        let parker = ConsumerParker()
        let total = producers * perProducer
        let result = ConsumerResult()

        let consumer = try JoinableThread {
            var nextIndex = [Int](repeating: 0, count: producers)
            var received = 0
            var outOfOrder = 0
            var parks = 0
            var batch: [(producer: Int, index: Int)] = []
            while received < total {
                batch.removeAll(keepingCapacity: true)
                if drains {
                    _ = ring.drain(into: &batch, limit: 7)
                } else if let element = ring.tryDequeue() {
                    batch.append(element)
                }
                for element in batch {
                    if element.index != nextIndex[element.producer] { outOfOrder += 1 }
                    nextIndex[element.producer] = element.index + 1
                    received += 1
                }
                if !batch.isEmpty { continue }
                parker.prepareToPark()
                if ring.hasPublishedElement {
                    parker.cancelPark()
                    continue
                }
                parks += 1
                if timedParks && parks % 2 == 0 {
                    parker.park(until: .now() + .microseconds(50))
                } else {
                    parker.park()
                }
            }
            result.counts = nextIndex
            result.outOfOrder = outOfOrder
        }

        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    for index in 0..<perProducer {
                        while ring.tryEnqueue((producer, index)) != .enqueued { await Task.yield() }
                        parker.unpark()
                    }
                }
            }
        }
        consumer.join()
        #expect(result.counts == [Int](repeating: perProducer, count: producers))
        #expect(result.outOfOrder == 0, "elements out of per-producer order")
    }
}

/// Written by the consumer thread before it ends, read after `join()`.
/// `@unchecked Sendable`: the join orders the write before the read.
private final class ConsumerResult: @unchecked Sendable {
    var counts: [Int] = []
    var outOfOrder = -1
}

extension MPSCRingTests {
    @Test func isFullTracksTheProducerView() {
        let ring = MPSCRing<Int>(capacity: 2)
        #expect(!ring.isFull)
        _ = ring.tryEnqueue(1)
        #expect(!ring.isFull)
        _ = ring.tryEnqueue(2)
        #expect(ring.isFull)
        _ = ring.tryDequeue()
        #expect(!ring.isFull)
    }
}

extension MPSCRingTests {
    /// A drain whose run crosses the end of the slot array moves both parts out in order,
    /// frees every slot (the next lap fills the whole ring again), and keeps non-trivial
    /// elements intact.
    @Test func drainCrossesTheWrapAndFreesTheWholeRun() {
        let ring = MPSCRing<String>(capacity: 8)
        for i in 0..<6 { #expect(ring.tryEnqueue("first \(i)") == .enqueued) }
        var out: [String] = []
        #expect(ring.drain(into: &out, limit: 100) == 6)
        for i in 0..<8 { #expect(ring.tryEnqueue("second \(i)") == .enqueued) }
        #expect(ring.tryEnqueue("overflow") == .full)
        out.removeAll()
        #expect(ring.drain(into: &out, limit: 5) == 5)
        #expect(ring.drain(into: &out, limit: 100) == 3)
        #expect(out == (0..<8).map { "second \($0)" })
        for i in 0..<8 { #expect(ring.tryEnqueue("third \(i)") == .enqueued) }
        #expect(ring.tryEnqueue("overflow") == .full)
        out.removeAll()
        #expect(ring.drain(into: &out, limit: 0) == 0)
        #expect(ring.drain(into: &out, limit: 100) == 8)
        #expect(out == (0..<8).map { "third \($0)" })
        #expect(ring.drain(into: &out, limit: 100) == 0)
    }
}
