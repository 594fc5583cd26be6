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
                    ring.append(runQueue(RingQueue(capacity: capacity), producers: producers, items: items, batch: batch))
                }
                let measureDeque = {
                    deque.append(runQueue(BoundedMutexDeque(capacity: capacity), producers: producers, items: items, batch: batch))
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

    /// Pushes `capacity` items (each push with its wake-up check, as in `runQueue`) then
    /// drains them in batches, many times, all on one thread; reports ns per push and per
    /// drained item. Best of 5 passes.
    private static func singleThreadRows(into table: inout BenchTable) {
        let ring = singleThreadCost(RingQueue(capacity: capacity))
        let deque = singleThreadCost(BoundedMutexDeque(capacity: capacity))
        table.add("one thread: push (with wake-up check), ns per item", value: fmt(ring.push) + " ns",
                  anchor: "Mutex<Deque> " + fmt(deque.push) + " ns", ratio: fmt(deque.push / ring.push) + "x")
        table.add("one thread: drain, ns per item", value: fmt(ring.pop) + " ns",
                  anchor: "Mutex<Deque> " + fmt(deque.pop) + " ns", ratio: fmt(deque.pop / ring.pop) + "x")
    }

    private static func singleThreadCost(_ queue: some BenchQueue) -> (push: Double, pop: Double) {
        let laps = 2_000
        let clock = ContinuousClock()
        var output: [Int] = []
        output.reserveCapacity(batch)
        var best = (push: Double.infinity, pop: Double.infinity)
        for _ in 0..<6 { // the first pass also warms caches and pages
            var pushing = Duration.zero, popping = Duration.zero
            for _ in 0..<laps {
                let started = clock.now
                for i in 0..<capacity { _ = queue.push(i) }
                let pushed = clock.now
                repeat { output.removeAll(keepingCapacity: true) } while queue.pop(into: &output, limit: batch) > 0
                popping += clock.now - pushed
                pushing += pushed - started
            }
            let perItem = 1e9 / Double(laps * capacity)
            best.push = min(best.push, seconds(pushing) * perItem)
            best.pop = min(best.pop, seconds(popping) * perItem)
        }
        return best
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func spread(_ values: [Double], unit: String) -> String {
        fmt(median(values)) + unit + " (" + fmt(values.min() ?? 0) + "–" + fmt(values.max() ?? 0) + ")"
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
