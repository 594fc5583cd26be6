import Foundation
import TrailmarkEngine
import TrailmarkWire

/// The engine against DuckDB (issue 6): replay time, resident bytes per event, and four
/// queries (4-step funnel with per-step windows, the same by first touch, uniques by day,
/// a per-user lookup) on the same generated data, answers checked equal.
///
/// 1M events always; 10M too with `TRAILMARK_BENCH_10M=1`. DuckDB runs from `.venv`
/// (`make bench` creates it); without it, or with `TRAILMARK_BENCH_DUCKDB=0`, the DuckDB
/// rows are skipped. `TRAILMARK_BENCH_ENGINE_QUERIES=0` stops after the replay and memory
/// rows (for iterating on the store).
/// glibc's `malloc_trim`: returns freed heap pages to the system so the RSS delta measures
/// what the engine holds, not what the replay's temporary batches left in malloc's arenas.
/// Declared by symbol name because Foundation's Glibc module does not export `malloc.h`.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

private func releaseFreedMemory() { _ = glibcMallocTrim(0) }

enum EngineBench {
    static let project = "bench"
    static let hour: Int64 = 3_600_000_000
    static let windows: [Int64?] = [nil, hour, 24 * hour, 24 * hour]

    static func run() async throws -> BenchTable {
        var table = BenchTable(title: "engine: columnar store vs DuckDB (best of 3; engine single-threaded, DuckDB all cores)")
        var sizes = [1_000_000]
        if ProcessInfo.processInfo.environment["TRAILMARK_BENCH_10M"] == "1" { sizes.append(10_000_000) }
        for n in sizes { try runSize(events: n, into: &table) }
        eventIDGrowth(into: &table)
        return table
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    /// Best wall time of `runs` runs, the first run's, and the best run's thread CPU time.
    static func best<T>(_ runs: Int = 3, _ body: () throws -> T) rethrows -> (T, Double, Double, Double) {
        var result: T?
        var times: [Double] = []
        var cpu = Double.infinity
        for _ in 0..<runs {
            let c0 = threadCPUSeconds()
            times.append(try measure { result = try body() })
            cpu = min(cpu, threadCPUSeconds() - c0)
        }
        return (result!, times.min()!, times[0], cpu)  // runs >= 1, so both are set
    }

    /// CPU time of the calling thread, seconds (the figure that other processes'
    /// load on this shared machine does not inflate).
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func log(_ s: String) {
        FileHandle.standardError.write(Data(("[engine bench] " + s + "\n").utf8))
    }

    static func runSize(events n: Int, into table: inout BenchTable) throws {
        let label = n >= 1_000_000 ? "\(n / 1_000_000)M" : "\(n)"
        log("generating \(label) events")
        let data = EngineBenchData(events: n, seed: 42)
        let fetcher = EngineBenchFetcher(data: data, project: project)  // encodes the records: not part of the engine's memory
        log("records encoded: \(fetcher.encodedBytes / 1_000_000) MB")
        releaseFreedMemory()
        let rssBefore = residentBytes()
        let engine = EventEngine(fetcher: { _, seq in fetcher.fetch(seq: seq) })
        engine.reserve(project: project, events: data.rowCount)  // as replay knows the log's size
        var ingestSeconds = 0.0
        var ingestCPU = 0.0
        let wall = measure {
            for r in 0..<data.recordStart.count {
                let record = data.record(r, project: project)
                let cpu0 = threadCPUSeconds()
                ingestSeconds += measure {
                    if let e = record.events { engine.ingest(e, recordSeq: UInt64(r + 1)) }
                    if let i = record.identifies { engine.ingest(i, recordSeq: UInt64(r + 1)) }
                }
                ingestCPU += threadCPUSeconds() - cpu0
            }
        }
        releaseFreedMemory()
        let rows = engine.eventCount(project: project)
        // The report builds the identity and row indexes, so the RSS delta includes them.
        var report: MemoryReport?
        let indexSeconds = measure { report = engine.memoryReport(project: project) }
        guard let report else { return }
        releaseFreedMemory()
        let rss = residentBytes() - rssBefore
        log("loaded \(rows) rows in \(fmt(ingestSeconds)) s (ingest calls) / \(fmt(wall)) s (with record decoding)")
        table.add("\(label): replay into engine (ingest calls)", value: "\(fmt(ingestSeconds)) s", anchor: "CPU \(fmt(ingestCPU)) s; with record building \(fmt(wall)) s", goal: n >= 10_000_000 ? "< 10 s" : "")
        table.add("\(label): resident bytes/event (RSS delta)", value: fmt(Double(rss) / Double(rows)), anchor: "estimate \(fmt(report.bytesPerEvent))", goal: "<= 64")
        table.add("\(label): first snapshot: build identity + row indexes", value: "\(fmt(indexSeconds * 1000)) ms", anchor: "then cached until 1/8 more rows")
        table.add("\(label): estimate by part (bytes/event)", value: "cols \(fmt(Double(report.columnBytes) / Double(rows)))",
                  anchor: "dict \(fmt(Double(report.dictionaryBytes) / Double(rows))) ids \(fmt(Double(report.eventIDBytes) / Double(rows))) idx \(fmt(Double(report.indexBytes) / Double(rows)))")
        try bytesReplay(data: data, fetcher: fetcher, label: label, into: &table)
        try eventsPaging(engine: engine, label: label, rows: rows, into: &table)
        if ProcessInfo.processInfo.environment["TRAILMARK_BENCH_ENGINE_QUERIES"] == "0" { return }

        let from = EngineBenchData.start, to = EngineBenchData.start + EngineBenchData.days * EngineBenchData.day
        let steps = ["$pageview", "view_item", "add_to_cart", "purchase"].map { FunnelQuery.Step(event: $0) }
        let funnelQuery = FunnelQuery(from: from, to: to, steps: steps, windows: windows)
        var ftQuery = funnelQuery
        ftQuery.breakdown = .firstTouch
        let (funnel, funnelBest, funnelCold, funnelCPU) = try best { try engine.funnel(project: project, funnelQuery) }
        let (ft, ftBest, _, ftCPU) = try best { try engine.funnel(project: project, ftQuery) }
        let (uniques, uniquesBest, _, uniquesCPU) = try best {
            try engine.stats(project: project, StatsQuery(metric: .uniques, from: from, to: to, interval: .day))
        }
        let userID = data.userIDs[Int(data.busiestUser)]
        let (user, userBest, userCold, userCPU) = best { engine.user(project: project, UserQuery(userID: userID)) }
        try propertyFunnel(engine: engine, fetcher: fetcher, label: label, rows: rows, steps: steps, from: from, to: to, into: &table)
        log("engine funnel \(fmt(funnelBest * 1000)) ms (CPU \(fmt(funnelCPU * 1000)), first \(fmt(funnelCold * 1000)) ms), ft \(fmt(ftBest * 1000)) ms, uniques \(fmt(uniquesBest * 1000)) ms, user \(fmt(userBest * 1e6)) us (first \(fmt(userCold * 1000)) ms)")

        guard let duck = try runDuckDB(data: data, rows: rows, userID: userID, from: from, to: to) else {
            table.add("\(label): funnel (engine)", value: "\(fmt(funnelBest * 1000)) ms (CPU \(fmt(funnelCPU * 1000)))", anchor: "DuckDB skipped")
            table.add("\(label): funnel by first_touch / uniques by day / user", value: "\(fmt(ftBest * 1000)) / \(fmt(uniquesBest * 1000)) / \(fmt(userBest * 1000)) ms",
                      anchor: "CPU \(fmt(ftCPU * 1000)) / \(fmt(uniquesCPU * 1000)) / \(fmt(userCPU * 1000)) ms")
            return
        }
        // Answers must agree before any ratio is printed.
        let g = funnel.groups[0]
        let duckFunnel = duck["funnel"] as? [String: Any] ?? [:]
        let sameFunnel = (duckFunnel["reached"] as? [Int] ?? []) == g.steps.map { Int($0.reached) }
            && abs((duckFunnel["mean_us"] as? Double ?? -1) - (g.timeToComplete.mean ?? -2)) <= 1e-6 * (g.timeToComplete.mean ?? 1)
        var engineFT: [String: [Int]] = [:]
        for group in ft.groups {
            if case .firstTouch(let s, let m) = group.key { engineFT[s + "/" + m] = group.steps.map { Int($0.reached) } }
        }
        let duckFT = (duck["funnel_ft"] as? [String: Any])?["groups"] as? [String: [Int]] ?? [:]
        let duckUniques = ((duck["uniques"] as? [String: Any])?["rows"] as? [[Int]]) ?? []
        let sameUniques = duckUniques == uniques.rows.map { [Int($0.bucket ?? 0), Int($0.value)] }
        let duckUser = duck["user"] as? [String: Any] ?? [:]
        let ftText = user.firstTouch.map { "\($0.event)|\($0.timestamp)|\($0.source)|\($0.medium)" }
        let sameUser = duckUser["first_touch"] as? String == ftText && duckUser["prelogin"] as? Int == user.prelogin.count
        func seconds(_ key: String, _ field: String = "seconds") -> Double { (duck[key] as? [String: Any])?[field] as? Double ?? .nan }
        func row(_ name: String, _ engineSeconds: Double, _ cpu: Double, _ key: String, _ same: Bool, goal: String = "") {
            let d = seconds(key)
            table.add("\(label): \(name)", value: "\(fmt(engineSeconds * 1000)) ms (CPU \(fmt(cpu * 1000)))", anchor: "DuckDB \(fmt(d * 1000)) ms (CPU \(fmt(seconds(key, "cpu") * 1000)))\(same ? "" : " ANSWERS DIFFER")",
                      ratio: "\(fmt(d / engineSeconds))x faster", goal: goal)
        }
        row("4-step funnel, per-step windows", funnelBest, funnelCPU, "funnel", sameFunnel, goal: n >= 10_000_000 ? ">= 2x" : "")
        row("funnel by first_touch", ftBest, ftCPU, "funnel_ft", engineFT == duckFT)
        let pre = duck["funnel_prestitched"] as? [String: Any] ?? [:]
        let preSame = (pre["reached"] as? [Int] ?? []) == g.steps.map { Int($0.reached) }
        row("funnel vs DuckDB on a pre-stitched table", funnelBest, funnelCPU, "funnel_prestitched", preSame)
        row("uniques by day", uniquesBest, uniquesCPU, "uniques", sameUniques)
        row("per-user lookup", userBest, userCPU, "user", sameUser)
        table.add("\(label): load", value: "engine \(fmt(ingestSeconds)) s", anchor: "DuckDB CSV load \(fmt(duck["load_s"] as? Double ?? .nan)) s", ratio: "threads=\(duck["threads"] ?? "?")")
        if !(sameFunnel && engineFT == duckFT && sameUniques && sameUser) {
            log("answers differ: funnel \(sameFunnel) ft \(engineFT == duckFT) uniques \(sameUniques) user \(sameUser)")
            log("engine funnel \(g.steps.map(\.reached)) mean \(g.timeToComplete.mean ?? -1); duck \(duckFunnel)")
            log("engine user \(ftText ?? "nil") \(user.prelogin.count); duck \(duckUser)")
        }
    }

    /// A funnel with a property filter (`view_item` with one `category`) broken down by
    /// the `plan` property: the first run reads both keys through the fetcher (one decode
    /// per log record) into property columns, later runs read the columns.
    static func propertyFunnel(engine: EventEngine, fetcher: EngineBenchFetcher, label: String, rows: Int, steps: [FunnelQuery.Step],
                               from: Int64, to: Int64, into table: inout BenchTable) throws {
        var filtered = steps
        filtered[1].filters = Properties([Property("category", .string(EngineBenchData.categories[3]))])
        var query = FunnelQuery(from: from, to: to, steps: filtered, windows: windows)
        query.breakdown = .property("plan")
        let misses0 = fetcher.misses
        let cpu0 = threadCPUSeconds()
        var first: FunnelResult?
        let firstSeconds = try measure { first = try engine.funnel(project: project, query) }
        let firstCPU = threadCPUSeconds() - cpu0
        let decoded = fetcher.misses - misses0
        let (again, bestSeconds, _, bestCPU) = try best { try engine.funnel(project: project, query) }
        let columnBytes = engine.memoryReport(project: project).propertyColumnBytes
        let decodeSeconds = measure { _ = fetcher.decodeAll() }
        let groups = again.groups.map { "\($0.key.jsonText): \($0.steps.map(\.reached))" }.joined(separator: ", ")
        log("property funnel: first \(fmt(firstSeconds * 1000)) ms (\(decoded) records decoded), then \(fmt(bestSeconds * 1000)) ms; \(groups)")
        table.add("\(label): funnel, step filter + property breakdown: 1st run (builds 2 columns)", value: "\(fmt(firstSeconds * 1000)) ms (CPU \(fmt(firstCPU * 1000)))",
                  anchor: "\(decoded) records decoded; decoding them alone \(fmt(decodeSeconds * 1000)) ms\(first == again ? "" : " ANSWERS DIFFER")")
        table.add("\(label): same funnel, columns built", value: "\(fmt(bestSeconds * 1000)) ms (CPU \(fmt(bestCPU * 1000)))",
                  anchor: "columns \(fmt(Double(columnBytes) / Double(rows))) B/event (2 keys)")
    }

    /// Writes the rows as CSV and runs `Benchmarks/duckdb/funnel_bench.py`; nil without a venv.
    static func runDuckDB(data: EngineBenchData, rows: Int, userID: String, from: Int64, to: Int64) throws -> [String: Any]? {
        let python = ".venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python), ProcessInfo.processInfo.environment["TRAILMARK_BENCH_DUCKDB"] != "0" else { return nil }
        let dir = NSTemporaryDirectory() + "trailmark-engine-bench-\(rows)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        log("writing CSV to \(dir)")
        guard let events = fopen(dir + "/events.csv", "w"), let identifies = fopen(dir + "/identifies.csv", "w") else { return nil }
        func put(_ f: UnsafeMutablePointer<FILE>, _ s: String) {
            var s = s
            s.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, f) }
        }
        put(events, "ts,seq,event,anon,user_id,session_id,source,medium\n")
        put(identifies, "anon,user_id,ts,seq\n")
        var chunk = ""
        for r in 0..<data.recordStart.count {
            let start = Int(data.recordStart[r])
            for i in 0..<Int(data.recordCount[r]) {
                let e = data.event(start + i)
                let seq = UInt64(r + 1) << 20 | UInt64(i)
                let a = e.attribution!  // generated events carry attribution
                chunk += "\(e.timestamp!),\(seq),\(e.event),\(e.anonymousID),\(e.userID ?? ""),\(e.sessionID ?? ""),\(a.source),\(a.medium)\n"
                if e.event == "$identify" { put(identifies, "\(e.anonymousID),\(e.userID!),\(e.timestamp!),\(seq)\n") }  // identifies have a user
            }
            if chunk.utf8.count > 1 << 20 {
                put(events, chunk)
                chunk = ""
            }
        }
        put(events, chunk)
        fclose(events)
        fclose(identifies)
        log("running DuckDB")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        let w = windows.dropFirst().map { String($0!) }  // every window after the first is set
        process.arguments = ["Benchmarks/duckdb/funnel_bench.py", dir, userID] + w + [String(from), String(to)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
        return try JSONSerialization.jsonObject(with: output) as? [String: Any]
    }
}
