import Synchronization
import TrailmarkWire

/// The query engine: per project, an in-memory columnar store fed by log records, and
/// every answer of SEMANTICS.md §2–§6 computed from it.
///
/// Thread-safe; ingest and queries may run concurrently from any threads. A query answers
/// for a snapshot taken when it starts, which includes every record whose `ingest` call
/// returned before (so "acknowledged, then queried" always sees the event), and never
/// holds a lock while it computes (`ProjectStore`).
public final class EventEngine: Sendable {
    private let projects = Mutex<[String: ProjectStore]>([:])
    private let fetcher: RecordFetcher?
    /// The function the duplicate check keys `event_id`s by; ingest uses the same.
    public let fingerprint: EventIDFingerprint

    /// - Parameters:
    ///   - fetcher: reads stored events back from the log by `seq`. With one, the engine
    ///     keeps no url/path/referrer/properties/event id in memory; without, it keeps
    ///     them itself.
    ///   - fingerprint: keys the `event_id` duplicate check. A server passes its install's
    ///     secret key; the default, `.fixedKey`, is for tests and benchmarks.
    public init(fetcher: RecordFetcher? = nil, fingerprint: EventIDFingerprint = .fixedKey) {
        self.fetcher = fetcher
        self.fingerprint = fingerprint
    }

    /// Counts of one `ingest(_:recordSeq:)` of events.
    public struct IngestCounts: Hashable, Sendable {
        /// Events stored.
        public var accepted: Int
        /// Events skipped because their `event_id` was seen before (SEMANTICS §1).
        public var duplicates: Int
    }

    func store(_ project: String) -> ProjectStore {
        projects.withLock { p in
            if let s = p[project] { return s }
            let s = ProjectStore(project: project, fetcher: fetcher, fingerprint: fingerprint)
            p[project] = s
            return s
        }
    }

    private func existing(_ project: String) -> ProjectStore? {
        projects.withLock { $0[project] }
    }

    /// The project's store for a read, or an empty one (not registered) when it has none.
    private func readable(_ project: String) -> ProjectStore {
        existing(project) ?? ProjectStore(project: project, fetcher: fetcher, fingerprint: fingerprint)
    }

    /// Sizes the project's `event_id` set for about `events` ids, so replaying a log of
    /// known size never rehashes it (call before replay; a hint, never a limit).
    public func reserve(project: String, events: Int) {
        store(project).ids.withLock { $0.eventIDs.reserve(additional: max(0, events - $0.eventIDs.count)) }
    }

    /// Adds the events of log record `recordSeq`; event `i` gets `seq = recordSeq << 20 | i`.
    @discardableResult
    public func ingest(_ batch: StoredEventBatch, recordSeq: UInt64) -> IngestCounts {
        let (accepted, duplicates) = store(batch.project).ingest(batch, recordSeq: recordSeq)
        return IngestCounts(accepted: accepted, duplicates: duplicates)
    }

    /// Adds the events of log record `recordSeq` from its payload (a `StoredEventBatch`
    /// message body), exactly as `ingest(_:recordSeq:)` of the decoded batch would, but
    /// reading the columns in place (`StoredEventBatchView`): no `Event` or per-event
    /// `String` is made. Throws what decoding the payload would throw (`WireError`), having
    /// changed nothing. Without a fetcher (the engine then keeps the large fields), the
    /// payload is decoded and ingested as a batch.
    @discardableResult
    public func ingest(storedEventBatch payload: UnsafeRawBufferPointer, recordSeq: UInt64) throws(WireError) -> IngestCounts {
        let view = try StoredEventBatchView(payload: payload, limits: .logRecords)
        let store = store(view.project)
        guard !store.retainsLargeFields else {
            return ingest(try StoredEventBatch(decoding: payload, limits: .logRecords), recordSeq: recordSeq)
        }
        let (accepted, duplicates) = store.ingest(view, recordSeq: recordSeq)
        return IngestCounts(accepted: accepted, duplicates: duplicates)
    }

    /// Adds the identifies of log record `recordSeq` and their `$identify` events.
    public func ingest(_ batch: StoredIdentifyBatch, recordSeq: UInt64) {
        store(batch.project).ingest(batch, recordSeq: recordSeq)
    }

    /// Applies a forget tombstone (`docs/ENGINE.md` § Forget): deletes, from every query
    /// from now on, the events stored so far whose stitched user is `userID`, those of
    /// anonymous ids linked only to it, and its identifies. Events that arrive later under
    /// the same ids are a new history. Returns how many events it deleted and their seqs.
    @discardableResult
    public func forget(_ record: StoredForget, recordSeq: UInt64) -> ForgetOutcome {
        store(record.project).forget(userID: record.userID)
    }

    /// Whether an event with this `event_id` is already stored in the project (for the
    /// ingest service, which also tracks ids still in flight to the log).
    public func isDuplicate(project: String, eventID: String) -> Bool {
        guard !eventID.isEmpty, let s = existing(project) else { return false }
        return s.containsFingerprints([fingerprint(eventID)])[0]
    }

    /// For each fingerprint (0 = none): whether the project already stores an event with
    /// that id. One lock acquisition for the whole list.
    public func areDuplicates(project: String, fingerprints: [UInt64]) -> [Bool] {
        guard let s = existing(project) else { return Array(repeating: false, count: fingerprints.count) }
        return s.containsFingerprints(fingerprints)
    }

    /// Events stored in the project (those forgets deleted left out).
    public func eventCount(project: String) -> Int {
        existing(project).map { let snap = $0.snapshot(); return snap.rowCount - snap.deleted.rowCount } ?? 0
    }

    func snapshot(_ project: String) -> StoreSnapshot {
        readable(project).snapshot()
    }

    /// Raw events (`GET /v1/query`).
    public func events(project: String, _ query: EventsQuery) throws(EngineError) -> EventsPage {
        let s = readable(project)
        return try EventsQueryRunner(store: s, snapshot: s.snapshot()).run(query)
    }

    /// Counts and uniques (`GET /v1/stats`).
    public func stats(project: String, _ query: StatsQuery) throws(EngineError) -> StatsResult {
        try StatsRunner(snapshot: snapshot(project)).stats(query)
    }

    /// Traffic sources (`GET /v1/sources`).
    public func sources(project: String, _ query: SourcesQuery) -> SourcesResult {
        StatsRunner(snapshot: snapshot(project)).sources(query)
    }

    /// Per-user helpers (`GET /v1/users/{id}`).
    public func user(project: String, _ query: UserQuery) -> UserResult {
        let s = readable(project)
        return UserRunner(store: s, snapshot: s.snapshot()).run(query)
    }

    /// Funnels and experiment funnels (`/v1/funnel`).
    public func funnel(project: String, _ query: FunnelQuery) throws(EngineError) -> FunnelResult {
        let plan = try FunnelPlan(query)
        return FunnelRunner(snapshot: snapshot(project), plan: plan).run()
    }

    /// Events held over all projects (deleted ones left out) and an estimate of the bytes
    /// of their columns, dictionaries, dedup sets, cached indexes and property columns.
    /// Cheap (builds no index): for gauges.
    public func totals() -> (events: Int, approximateBytes: Int) {
        let stores = projects.withLock { Array($0.values) }
        var events = 0, bytes = 0
        for s in stores {
            bytes += s.propertyColumns?.allocatedBytes ?? 0
            bytes += s.ids.withLock { $0.eventIDs.allocatedBytes }
            s.state.withLock { st in
                events += st.timestamp.count - st.deleted.rowCount
                bytes += st.columnBytes + st.dictionaryBytes + st.deleted.allocatedBytes
                    + (st.identityCache?.allocatedBytes ?? 0) + (st.rowIndexCache?.allocatedBytes ?? 0)
                    + (st.timeOrderCache?.allocatedBytes ?? 0)
            }
        }
        return (events, bytes)
    }

    /// What the project's store occupies, by part (estimated from allocation sizes).
    public func memoryReport(project: String) -> MemoryReport {
        guard let s = existing(project) else { return MemoryReport(rows: 0, columnBytes: 0, dictionaryBytes: 0, eventIDBytes: 0, indexBytes: 0) }
        let snap = s.snapshot()
        let index = s.rowIndex(for: snap)
        let propertyBytes = s.propertyColumns?.allocatedBytes ?? 0
        let eventIDBytes = s.ids.withLock { $0.eventIDs.allocatedBytes }
        return s.state.withLock { st in
            MemoryReport(
                rows: st.timestamp.count,
                columnBytes: st.columnBytes,
                dictionaryBytes: st.dictionaryBytes,
                eventIDBytes: eventIDBytes,
                indexBytes: index.allocatedBytes + (st.identityCache?.allocatedBytes ?? 0) + (st.timeOrderCache?.allocatedBytes ?? 0),
                propertyColumnBytes: propertyBytes
            )
        }
    }
}

/// Estimated resident bytes of one project's store.
public struct MemoryReport: Hashable, Sendable {
    public var rows: Int
    public var columnBytes: Int
    public var dictionaryBytes: Int
    public var eventIDBytes: Int
    public var indexBytes: Int
    /// Per-key property columns built by queries so far (a cache of at most 16 keys, 4 B
    /// per row each plus the distinct values; zero without a fetcher).
    public var propertyColumnBytes: Int = 0

    public var totalBytes: Int { columnBytes + dictionaryBytes + eventIDBytes + indexBytes + propertyColumnBytes }
    public var bytesPerEvent: Double { rows == 0 ? 0 : Double(totalBytes) / Double(rows) }
}
