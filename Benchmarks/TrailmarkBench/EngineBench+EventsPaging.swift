import TrailmarkEngine
import TrailmarkWire

/// Reading a whole project through `EventsQuery` pages of 10,000 and their cursors, as
/// `Query/EventsStream`, `/v1/events` and `trailmark export` do. Before session 5 every page
/// filtered and sorted all the rows after its cursor (O(n² / limit) for the whole read);
/// now a page binary-searches a cached `(timestamp, seq)` row order and walks it.
extension EngineBench {
    static func eventsPaging(engine: EventEngine, label: String, rows: Int, into table: inout BenchTable) throws {
        var cells: [String] = []
        var notes: [String] = []
        for (name, order, event) in [("asc", SortOrder.ascending, String?.none), ("desc", .descending, nil), ("purchase asc", .ascending, "purchase")] {
            var q = EventsQuery(from: .min, to: .max, event: event, limit: 10_000, order: order)
            var pageTimes: [Double] = []
            var seen = 0
            let c0 = threadCPUSeconds()
            let wall = try measure {
                while true {
                    var page = EventsPage(rows: [])
                    pageTimes.append(try measure { page = try engine.events(project: project, q) })
                    seen += page.rows.count
                    guard let next = page.nextCursor else { break }
                    q.cursor = next
                }
            }
            let cpu = threadCPUSeconds() - c0
            let sorted = pageTimes.sorted()
            log("events paging \(name): \(seen) rows in \(pageTimes.count) pages, \(fmt(wall)) s (CPU \(fmt(cpu)) s), first page \(fmt(pageTimes[0] * 1000)) ms, median \(fmt(sorted[sorted.count / 2] * 1000)) ms")
            cells.append("\(fmt(wall)) s")
            notes.append("\(name): \(seen) rows, \(pageTimes.count) pages, median page \(fmt(sorted[sorted.count / 2] * 1000)) ms, first \(fmt(pageTimes[0] * 1000)) ms")
            if event == nil && seen != rows { notes.append("ROWS DIFFER: \(seen) of \(rows)") }
        }
        table.add("\(label): read every event in pages of 10,000 (asc / desc / one event name)", value: cells.joined(separator: " / "),
                  anchor: notes.joined(separator: "; "), goal: "O(log n + rows walked) per page")
    }
}
