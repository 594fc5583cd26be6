import Logging
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire

/// Answers every read from the engine (SEMANTICS §2–§6), for both APIs.
///
/// Consistency: a query first notes the log's committed end, then waits until the engine
/// has indexed up to it, then asks the engine, which answers from a snapshot taken at
/// that moment. So every event acknowledged before the query started is included
/// ("acknowledged, then queried"), and ingest is never blocked by a query.
/// Reads answer `unavailable` (503) until start-up replay is done (API.md).
///
/// Owns: nothing mutable — the engine owns the store, the tailer feeds it. The actor
/// only orders its own bookkeeping; the engine work runs outside its isolation.
public actor QueryService {
    private let log: SegmentLog
    private let engine: EventEngine
    private let progress: IndexProgress
    private let validator: QueryValidator

    init(log: SegmentLog, engine: EventEngine, progress: IndexProgress, validator: QueryValidator) {
        self.log = log
        self.engine = engine
        self.progress = progress
        self.validator = validator
    }

    /// Waits until everything committed before this call is indexed.
    private nonisolated func catchUp() async throws(APIError) {
        guard progress.isReplayed else {
            throw APIError(.unavailable, "the server is replaying its log; reads are available once it is done", reason: "replaying", retryAfterSeconds: 1)
        }
        let target = log.committedEnd
        guard await progress.wait(untilIndexed: target) else { throw IngestService.shuttingDown }
    }

    public nonisolated func events(_ q: EventsQuery, project: String) async throws(APIError) -> EventsPage {
        try validator.validate(q)
        try await catchUp()
        do { return try engine.events(project: project, q) } catch { throw Self.map(error) }
    }

    public nonisolated func stats(_ q: StatsQuery, project: String) async throws(APIError) -> StatsResult {
        try validator.validate(q)
        try await catchUp()
        do { return try engine.stats(project: project, q) } catch { throw Self.map(error) }
    }

    public nonisolated func sources(_ q: SourcesQuery, project: String) async throws(APIError) -> SourcesResult {
        try validator.validate(q)
        try await catchUp()
        return engine.sources(project: project, q)
    }

    public nonisolated func user(_ q: UserQuery, project: String) async throws(APIError) -> UserResult {
        try validator.validate(q)
        try await catchUp()
        return engine.user(project: project, q)
    }

    public nonisolated func funnel(_ q: FunnelQuery, project: String) async throws(APIError) -> FunnelResult {
        try validator.validate(q)
        try await catchUp()
        do { return try engine.funnel(project: project, q) } catch { throw Self.map(error) }
    }

    public nonisolated func health() -> HealthResponse {
        HealthResponse(status: progress.isReplayed ? .ok : .replaying, events: progress.eventsIndexed)
    }

    /// The single mapping of engine errors to API errors.
    static func map(_ error: EngineError) -> APIError {
        APIError(.invalidQuery, error.message, field: error.field, reason: "invalid")
    }
}
