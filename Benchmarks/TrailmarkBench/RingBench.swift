import Glibc
import TrailmarkStorage

/// Issue 4's ring goal: `MPSCRing` throughput with 1, 2 and 4 producers against a bounded
/// `Mutex<Deque>` (`BoundedMutexDeque`) driven by the same loop (`runQueue`), in the same run;
/// plus what one item costs each queue with no other thread running.
///
/// Each producer count runs `rounds` pairs (ring then deque, or deque then ring, alternating).
/// The 2 cores are shared with other processes, so one pair can be disturbed; the rows show
/// the median and the range over the pairs, and the ratio is taken pair by pair (the two runs
/// of a pair are seconds apart and see about the same load).
enum RingBench {
    static let capacity = 1024
    static let batch = 256

    static func run() async throws -> BenchTable {
        var table = BenchTable(title: "ring (MPSCRing versus Mutex<Deque>)")
        singleThreadRows(into: &table)
        contendedRows(into: &table)
        return table
    }

    // MARK: Producers and a consumer on their own threads

    private static func contendedRows(into table: inout BenchTable) {
        let items = 2_000_000
        let rounds = 9
        for producers in [1, 2, 4] {
            var ring: [QueueRun] = [], deque: [QueueRun] = [], ratios: [Double] = []
            for round in 0..<rounds {
                let measureRing = {
                    let queue = MPSCRing<Int>(capacity: capacity)
                    ring.append(runQueue(producers: producers, items: items,
                                         push: { queue.tryEnqueue($0) == .enqueued },
                                         popBatch: { queue.drain(into: &$0, limit: batch) }))
                }
                let measureDeque = {
                    let queue = BoundedMutexDeque(capacity: capacity)
                    deque.append(runQueue(producers: producers, items: items,
                                          push: { queue.push($0) },
                                          popBatch: { queue.pop(into: &$0, limit: batch) }))
                }
                if round % 2 == 0 { measureRing(); measureDeque() } else { measureDeque(); measureRing() }
                ratios.append(ring[round].itemsPerSecond / deque[round].itemsPerSecond)
            }
            let label = "\(producers) producer\(producers == 1 ? "" : "s") → 1 consumer"
            table.add("ring, \(label) (median, range of \(rounds))",
                      value: rateCell(ring), anchor: "Mutex<Deque> " + rateCell(deque),
                      ratio: spread(ratios, unit: "x"), goal: "> 1x")
            table.add("  ns per item, ring / deque (medians)",
                      value: fmt(1e9 / median(ring.map(\.itemsPerSecond))) + " ns",
                      anchor: fmt(1e9 / median(deque.map(\.itemsPerSecond))) + " ns")
            table.add("  items per batch taken (medians)",
                      value: fmt(median(ring.map { Double(items) / Double($0.drains) })),
                      anchor: fmt(median(deque.map { Double(items) / Double($0.drains) })))
            table.add("  consumer parks, producer sleeps per 1k items",
                      value: waitCell(ring, items: items), anchor: waitCell(deque, items: items))
        }
    }

    private static func rateCell(_ runs: [QueueRun]) -> String {
        spread(runs.map { $0.itemsPerSecond / 1e6 }, unit: " M items/s")
    }

    private static func waitCell(_ runs: [QueueRun], items: Int) -> String {
        let perK = 1000 / Double(items)
        return fmt(median(runs.map { Double($0.consumerParks) }) * perK) + ", "
            + fmt(median(runs.map { Double($0.producerSleeps) }) * perK)
    }

    // MARK: One thread: the cost of an item with nobody else touching the queue

    /// Pushes `capacity` items then drains them in batches, many times; reports ns per push
    /// (with the producer's `unpark()`, as in `runQueue`) and per drained item. Best of 5.
    private static func singleThreadRows(into table: inout BenchTable) {
        let laps = 2_000
        let ring = MPSCRing<Int>(capacity: capacity)
        let deque = BoundedMutexDeque(capacity: capacity)
        let parker = ConsumerParker()
        var output: [Int] = []
        output.reserveCapacity(batch)
        func best(_ body: () -> Void) -> Double {
            (0..<5).map { _ in measure(body) }.min() ?? 0
        }
        func drainAll(_ popBatch: (inout [Int]) -> Int) {
            repeat { output.removeAll(keepingCapacity: true) } while popBatch(&output) > 0
        }
        var ringPush = 0.0, ringPop = 0.0, dequePush = 0.0, dequePop = 0.0
        for _ in 0..<2 { // the first pass warms caches and pages
            ringPush = best { for _ in 0..<laps { for i in 0..<capacity { _ = ring.tryEnqueue(i); parker.unpark() }; drainAll { ring.drain(into: &$0, limit: batch) } } }
            ringPop = best { for _ in 0..<laps { for i in 0..<capacity { _ = ring.tryEnqueue(i) }; drainAll { ring.drain(into: &$0, limit: batch) } } }
            dequePush = best { for _ in 0..<laps { for i in 0..<capacity { _ = deque.push(i); parker.unpark() }; drainAll { deque.pop(into: &$0, limit: batch) } } }
            dequePop = best { for _ in 0..<laps { for i in 0..<capacity { _ = deque.push(i) }; drainAll { deque.pop(into: &$0, limit: batch) } } }
        }
        let perItem = 1e9 / Double(laps * capacity)
        table.add("one thread: push + unpark + drain, ns per item", value: fmt(ringPush * perItem) + " ns",
                  anchor: "Mutex<Deque> " + fmt(dequePush * perItem) + " ns", ratio: fmt(dequePush / ringPush) + "x")
        table.add("one thread: push + drain (no unpark), ns per item", value: fmt(ringPop * perItem) + " ns",
                  anchor: "Mutex<Deque> " + fmt(dequePop * perItem) + " ns", ratio: fmt(dequePop / ringPop) + "x")
    }

    private static func spread(_ values: [Double], unit: String) -> String {
        fmt(median(values)) + unit + " (" + fmt(values.min() ?? 0) + "–" + fmt(values.max() ?? 0) + ")"
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
