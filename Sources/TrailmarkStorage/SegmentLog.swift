import Glibc
import Logging
import Synchronization

/// The append-only, memory-mapped segment log of one data directory (`docs/STORAGE.md`).
///
/// - Producers (the ingest and identity actors) call `append`; requests travel through a
///   bounded lock-free ring to a single writer thread that group-commits them and resumes
///   each producer once its records are durable, with their seqs (dense, from 0).
/// - Readers (the engine) call `read(from:)` to visit committed records zero-copy, and
///   `waitForCommit(past:)` to tail the log.
/// - `compact(dropping:)` and `enforceRetention()` maintain sealed segments; `close()` drains
///   the ring, flushes and releases the directory lock.
///
/// Opening recovers the log: every record's CRC32C is verified, a torn last write group is
/// truncated, corruption refuses to open (or, with `repair`, is moved aside).
///
/// Only one `SegmentLog` may be open on a directory at a time, across processes (`LOCK`
/// file, `flock`). Always `close()` a log: the writer thread runs until then.
public final class SegmentLog: Sendable {
    /// The data directory.
    public let directory: String
    public let configuration: LogConfiguration
    /// What recovery found when this log was opened.
    public let recoveryReport: RecoveryReport

    let writer: LogWriter
    let dataDirectory: Directory
    private let lock: Mutex<FileDescriptor?>
    /// Serialises compaction and retention (both rewrite or remove sealed segments).
    let maintenance = Mutex(())

    private init(directory: Directory, configuration: LogConfiguration, lock: FileDescriptor,
                 writer: LogWriter, report: RecoveryReport) {
        self.directory = directory.path
        self.configuration = configuration
        self.dataDirectory = directory
        self.lock = Mutex(lock)
        self.writer = writer
        self.recoveryReport = report
    }

    /// Opens (creating if needed) the log in `directory` and recovers it.
    ///
    /// Throws `locked` when another process (or another open log) holds the directory,
    /// `corrupted` naming file and offset when a durable record is damaged (unless
    /// `configuration.repair`), `invalidArgument` for a bad configuration, `io` otherwise.
    public static func open(directory path: String, configuration: LogConfiguration = LogConfiguration()) throws(StorageError) -> SegmentLog {
        try configuration.validate()
        try Directory.create(path)
        let directory = Directory(path: path)
        let lockPath = directory.file(FileName.lock)
        let lock = try FileDescriptor.open(lockPath, flags: O_RDWR | O_CREAT)
        guard try lock.tryLockExclusive() else {
            let holder = (try? lock.read(count: 32, at: 0)) ?? []
            let pid = String(decoding: holder, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "?"
            throw StorageError(.locked, "\(lockPath) is held by another process (pid \(pid)); only one server may use a data directory")
        }
        let pid = Array("\(getpid())\n".utf8)
        try SystemCall.check("ftruncate", path: lockPath) { ftruncate(lock.raw, 0) }
        try lock.write(pid, at: 0)

        let logger = configuration.logger
        if configuration.durability == .none {
            logger.warning("storage: durability is .none, appends are acknowledged before they are durable (benchmarks only)")
        }
        let outcome = try LogRecovery(directory: directory, configuration: configuration, logger: logger).run()
        logger.info("storage: opened", metadata: ["directory": "\(path)", "recovery": "\(outcome.report)"])
        let writer = LogWriter(recovered: outcome, directory: directory, configuration: configuration)
        try writer.start()
        return SegmentLog(directory: directory, configuration: configuration, lock: lock, writer: writer, report: outcome.report)
    }

    // MARK: Appending

    /// Appends one record; returns its seq once it is durable (per `configuration.durability`).
    ///
    /// Suspends while the ring is full; throws `overloaded` if it stays full past
    /// `configuration.producerDeadline`, `invalidArgument` for a payload larger than
    /// `configuration.recordPayloadBytesMax`, `closed` after `close()`, `io` if the log failed.
    public func append(_ payload: [UInt8], kind: RecordKind) async throws(StorageError) -> UInt64 {
        guard payload.count <= configuration.recordPayloadBytesMax else {
            throw StorageError(.invalidArgument, "payload of \(payload.count) bytes exceeds recordPayloadBytesMax (\(configuration.recordPayloadBytesMax))")
        }
        return try await submit(.one(kind, payload)).lowerBound
    }

    /// Appends several records as one request: they get consecutive seqs, become durable in
    /// the same group and are acknowledged together. Returns their seqs.
    public func append(_ records: [AppendRecord]) async throws(StorageError) -> Range<UInt64> {
        guard !records.isEmpty, records.count <= configuration.batchRecordsMax else {
            throw StorageError(.invalidArgument, "records holds \(records.count) records, allowed 1...\(configuration.batchRecordsMax)")
        }
        for (i, record) in records.enumerated() where record.payload.count > configuration.recordPayloadBytesMax {
            throw StorageError(.invalidArgument, "records[\(i)].payload of \(record.payload.count) bytes exceeds recordPayloadBytesMax (\(configuration.recordPayloadBytesMax))")
        }
        return try await submit(.many(records))
    }

    /// Seals the tail segment: the writer rolls to a new segment if the tail holds any
    /// record, so every record appended before this call becomes compactable. Returns the
    /// first seq of the new tail. Costs one new preallocated segment: use sparingly.
    public func sealTail() async throws(StorageError) -> UInt64 {
        try await submit(.seal).lowerBound
    }

    private func submit(_ records: AppendRequest.Records) async throws(StorageError) -> Range<UInt64> {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let request = AppendRequest(records: records, acknowledgement: continuation)
                switch writer.ring.tryEnqueue(request) {
                case .enqueued: writer.parker.unparkAfterClaim() // the writer re-reads claims before parking
                case .closed: request.fail(StorageError(.closed, "the log is closed"))
                case .full: waitForSpace(request)
                }
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, "append failed: \(error)")
        }
    }

    /// Backpressure: the producer stays suspended in the waitroom until the writer admits its
    /// request, or fails with `overloaded` when `producerDeadline` passes first.
    private func waitForSpace(_ request: AppendRequest) {
        let waitroom = writer.waitroom
        let deadline = configuration.producerDeadline
        let capacity = writer.ring.capacity
        let entered = waitroom.enter(request) { id in
            Task {
                do { try await Task.sleep(for: deadline) } catch { return } // cancelled: admitted in time
                waitroom.expire(id)?.fail(StorageError(.overloaded,
                    "the log's ring of \(capacity) requests stayed full for \(deadline); retry later"))
            }
        }
        if entered {
            writer.parker.unpark()
        } else {
            request.fail(StorageError(.closed, "the log is closed"))
        }
    }

    // MARK: Closing

    /// Stops accepting appends, waits until every accepted request is durable and
    /// acknowledged, fails pending `waitForCommit` calls with `closed`, and releases the
    /// directory lock. Idempotent.
    public func close() async {
        if writer.waitroom.close() {
            writer.ring.close()
            writer.parker.unpark()
        }
        await writer.waitUntilFinished()
        writer.watermark.close()
        lock.withLock { file in
            file?.unlock()
            file = nil
        }
    }

    var isClosed: Bool { writer.ring.isClosed }
}
