import Foundation
import Logging
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire

/// Opens a data directory and wires the three services to one log and one engine:
///
///     IngestService ─┐                    ┌─> EventEngine <─ QueryService
///                    ├─> ring ─> SegmentLog ─(LogTailer)─┘
///     IdentityService┘
///
/// Layout of the data directory: `log/` (segments, `docs/STORAGE.md`), `keys.json` and
/// `pepper` (API keys), `event-id.key` (the secret key of `event_id` fingerprints,
/// `EventIDFingerprint`), and whatever the transport keeps (development certificates).
public final class ServiceHub: Sendable {
    public struct Configuration: Sendable {
        public var dataDirectory: String
        public var log = LogConfiguration()
        public var wireLimits = WireLimits.default
        /// Clock-skew tolerance, microseconds (SEMANTICS §1; default 60 s).
        public var skewToleranceMicros: Int64 = 60_000_000
        public var rateLimits = RateLimiter.Limits()
        /// Events per `POST /v1/batch` (API.md: 1..1000).
        public var jsonBatchEventsMax = 1000
        /// How long forgets are batched before they are erased from disk.
        public var forgetEraseDelay: Duration = .seconds(300)

        public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
    }

    public let configuration: Configuration
    public let ingest: IngestService
    public let identity: IdentityService
    public let query: QueryService
    public let keys: KeyStore
    public let limiter: RateLimiter
    public let metrics: ServiceMetrics
    public let progress: IndexProgress
    let log: SegmentLog
    let engine: EventEngine
    /// Reads events back from the log for the engine (which keeps no large fields).
    let records: LogRecordFetcher
    private let tailer: LogTailer
    let maintenance: LogMaintenance

    /// The file in the data directory holding the `event_id` fingerprint key (16 bytes).
    public static let fingerprintKeyFileName = "event-id.key"

    /// Microseconds since the Unix epoch from the system clock.
    public static let systemClock: @Sendable () -> Int64 = {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    public init(configuration: Configuration, logger: Logger, now: @escaping @Sendable () -> Int64 = ServiceHub.systemClock) throws {
        self.configuration = configuration
        let dataURL = URL(fileURLWithPath: configuration.dataDirectory)
        try FileManager.default.createDirectory(at: dataURL, withIntermediateDirectories: true)
        var logConfiguration = configuration.log
        logConfiguration.logger = logger
        let metrics = ServiceMetrics()
        logConfiguration.groupCommitted = { metrics.groupCommitted($0) }
        log = try SegmentLog.open(directory: dataURL.appendingPathComponent("log").path, configuration: logConfiguration)
        keys = try KeyStore(directory: dataURL)
        let records = LogRecordFetcher(log: log)
        self.records = records
        let keyURL = dataURL.appendingPathComponent(Self.fingerprintKeyFileName)
        let fingerprintKey = try InstallSecret.loadOrCreate(keyURL, byteCount: 16)
        if fingerprintKey.created && log.committedEnd > 0 {
            // A log without its key: a restore that missed the file, or a directory made
            // before keys existed. Only forgotten events' retries are affected.
            logger.warning("made a new event_id fingerprint key for a log that already holds records: retries of events erased by a forget may be stored again; restore \(keyURL.path) from the backup of this directory if there is one")
        }
        // 16 bytes by construction, so the key always parses.
        let fingerprint = EventIDFingerprint(key: SipHash(key: fingerprintKey.bytes)!)
        engine = EventEngine(fetcher: { project, seq in records.fetch(project: project, seq: seq) }, fingerprint: fingerprint)
        progress = IndexProgress()
        self.metrics = metrics
        limiter = RateLimiter(limits: configuration.rateLimits, now: now)
        let forgets = ForgetLedger()
        let validator = EventValidator(limits: configuration.wireLimits)
        let skew = ClockSkew(tolerance: configuration.skewToleranceMicros)
        maintenance = LogMaintenance(log: log, configuration: .init(forgetEraseDelay: configuration.forgetEraseDelay), logger: logger, metrics: metrics, fingerprint: fingerprint, records: records)
        tailer = LogTailer(log: log, engine: engine, progress: progress, forgets: forgets, maintenance: maintenance, logger: logger, metrics: metrics)
        ingest = IngestService(log: log, engine: engine, progress: progress, validator: validator, skew: skew, now: now, logger: logger, metrics: metrics)
        identity = IdentityService(log: log, progress: progress, forgets: forgets, validator: validator, skew: skew, now: now, metrics: metrics, logger: logger)
        query = QueryService(log: log, engine: engine, progress: progress, validator: QueryValidator(limits: configuration.wireLimits))
    }

    /// Replays the log into the engine, then tails it until `shutdown`, while the log's
    /// maintenance (forget erasure, retention) runs beside it. Returns once the tailer
    /// stops (maintenance is then cancelled); run it in a task of its own.
    public func runTailer() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.maintenance.run() }
            group.addTask { await self.recordEngineGauges(every: .seconds(5)) }
            await tailer.run()
            group.cancelAll()
        }
    }

    /// Publishes the engine's size (`trailmark_engine_events`, `trailmark_engine_memory_bytes`)
    /// until cancelled.
    private func recordEngineGauges(every interval: Duration) async {
        while !Task.isCancelled {
            let totals = engine.totals()
            metrics.engineEvents.record(Double(totals.events))
            metrics.engineBytes.record(Double(totals.approximateBytes))
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// Forget tombstones applied but not yet erased from disk.
    public var forgetsPendingErasure: Int { maintenance.forgetsPending }

    /// Erases every applied forget from disk now instead of after `forgetEraseDelay`.
    public func eraseForgottenNow() async throws {
        try await maintenance.eraseForgotten()
    }

    /// Flushes and closes the log; pending waiters are released.
    public func shutdown() async {
        await log.close()
        progress.close()
    }
}
