import Dispatch
import Glibc
import Synchronization

/// The single writer of the log: the ring's consumer, running on its own thread.
///
/// Loop: take everything waiting (ring, then producers suspended in the waitroom), copy the
/// records into the tail segment's mapping, make the group durable once, publish the
/// committed watermark, then resume every producer of the group with its seqs. Parks when
/// there is nothing to do (`ConsumerParker`), so an idle log costs no CPU.
///
/// `@unchecked Sendable`: the mutable properties (`tail`, `writeOffset`, `nextSeq`, …) are
/// touched only by the writer thread once `start()` ran (and by `init` before it); the rest
/// is immutable or synchronised by its own type.
final class LogWriter: @unchecked Sendable {
    let ring: MPSCRing<AppendRequest>
    let parker = ConsumerParker()
    let waitroom = Waitroom<AppendRequest>()
    let watermark: CommittedWatermark
    let segments: SegmentList
    let counters = WriteCounters()
    private let directory: Directory
    private let configuration: LogConfiguration
    private let finished = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    // Writer-thread state.
    private var tail: Segment
    private var writeOffset: Int
    private var nextIndexOffset: Int
    private var nextSeq: UInt64
    private var groupStart: UInt64 = 0
    /// Requests in the last committed group and how long its sync took (`gatherFollowers`).
    private var lastGroupRequests = 0
    private var lastSyncNanoseconds: UInt64 = 0
    /// Bytes of records written since open (for `counters`).
    private var bytesWritten = 0
    private var failure: StorageError?
    private var group: [AppendRequest] = []
    /// Per request of the current group: its seqs, or nil when it was already failed.
    private var outcomes: [Range<UInt64>?] = []
    private var touched: [Segment] = []
    /// The current group's sync time, for `LogConfiguration.groupCommitted`.
    private var syncNanoseconds: UInt64?
    /// Encodes records and `pwrite`s them to the tail (see `RecordStager` for why not the mapping).
    private let stager = RecordStager(capacity: LogWriter.stagerBytes)
    /// 256 KiB: big enough that syscalls are a rounding error, small enough that the kernel
    /// copies from a cache-hot buffer.
    private static let stagerBytes = 256 << 10

    init(recovered: LogRecovery.Outcome, directory: Directory, configuration: LogConfiguration) {
        precondition(!recovered.segments.isEmpty, "recovery always leaves a tail segment")
        ring = MPSCRing(capacity: configuration.ringCapacity)
        watermark = CommittedWatermark(recovered.nextSeq)
        segments = SegmentList(recovered.segments)
        self.directory = directory
        self.configuration = configuration
        tail = recovered.segments[recovered.segments.count - 1]
        writeOffset = recovered.tailOffset
        nextIndexOffset = recovered.tailOffset
        nextSeq = recovered.nextSeq
        group.reserveCapacity(2 * configuration.ringCapacity)
        outcomes.reserveCapacity(2 * configuration.ringCapacity)
    }

    func start() throws(StorageError) {
        try WriterThread.start { [self] in run() }
    }

    /// Waits until the writer thread has drained everything and stopped (after `ring.close()`).
    func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let done = finished.withLock { state in
                if !state.done { state.waiter = continuation }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    // MARK: Writer thread

    private func run() {
        while true {
            group.removeAll(keepingCapacity: true)
            _ = ring.drain(into: &group, limit: ring.capacity)
            _ = waitroom.admit(into: &group, limit: ring.capacity)
            if !group.isEmpty {
                gatherFollowers()
                configuration.writerWillCommitForTesting?()
                commit()
                continue
            }
            if ring.hasClaimedElement {
                // A producer claimed a slot and is about to publish it.
                sched_yield()
                continue
            }
            if ring.isClosed {
                // One load of the counter with its closed bit: a claim made after the check
                // above but before the close is seen here, not lost.
                if ring.isClosedAndDrained && waitroom.isEmpty { break }
                continue
            }
            parker.prepareToPark()
            // Claims, not publishes: producers wake the writer with `unparkAfterClaim()`.
            if ring.hasClaimedElement || !waitroom.isEmpty || ring.isClosed {
                parker.cancelPark()
                continue
            }
            parker.park()
        }
        let waiter = finished.withLock { state in
            state.done = true
            return state.waiter
        }
        waiter?.resume()
    }

    /// Group commit's gathering step: when fewer requests are waiting than the last group
    /// had, wait a little for the rest before syncing.
    ///
    /// Why: producers acknowledged by group G mostly append again at once (each ingest
    /// connection awaits its append), but they arrive just after the writer took G+1, so
    /// without this step groups alternate big/small and every second sync carries a few
    /// requests (measured: mean group 1.2 MiB of the 2 MiB in flight). The wait ends as soon
    /// as as many requests as the last group had are here, the ring closes, or a quarter of
    /// the last sync's duration passes: at most +25% latency for a lone producer arriving
    /// late, none for one that is already waiting; durability `.none` never waits.
    private func gatherFollowers() {
        guard configuration.durability == .group, lastSyncNanoseconds > 0 else { return }
        let wanted = min(lastGroupRequests, ring.capacity)
        guard group.count < wanted else { return }
        let deadline = DispatchTime.now().uptimeNanoseconds + lastSyncNanoseconds / 4
        while group.count < wanted && !ring.isClosed {
            if ring.drain(into: &group, limit: ring.capacity - group.count)
                + waitroom.admit(into: &group, limit: ring.capacity - group.count) > 0 { continue }
            guard DispatchTime.now().uptimeNanoseconds < deadline else { return }
            if ring.hasClaimedElement {
                sched_yield() // claimed, about to be published
                continue
            }
            parker.prepareToPark()
            if ring.hasClaimedElement || !waitroom.isEmpty || ring.isClosed {
                parker.cancelPark()
                continue
            }
            parker.park(until: DispatchTime(uptimeNanoseconds: deadline))
        }
    }

    private func commit() {
        groupStart = nextSeq
        let groupFirst = nextSeq
        let groupBytes = bytesWritten
        outcomes.removeAll(keepingCapacity: true)
        touched.removeAll(keepingCapacity: true)
        touched.append(tail)
        var committed: UInt64?
        let failedBefore = failure != nil
        for request in group {
            if let failure {
                request.fail(failure)
                outcomes.append(nil)
                continue
            }
            do throws(StorageError) {
                let first = nextSeq
                try write(request)
                outcomes.append(first..<nextSeq)
                committed = nextSeq
            } catch {
                // A failed roll or write (ENOSPC, EIO): the log stops accepting appends.
                failure = error
                request.fail(error)
                outcomes.append(nil)
            }
        }
        guard let committed else { return }
        do throws(StorageError) {
            if !failedBefore, let failure {
                // Bytes of earlier requests of this group may have been in the stager when
                // the write failed: acknowledge none of the group.
                throw failure
            }
            try stager.flush()
            syncNanoseconds = nil
            if configuration.durability == .group {
                let started = DispatchTime.now().uptimeNanoseconds
                try syncTouched()
                lastSyncNanoseconds = DispatchTime.now().uptimeNanoseconds - started
                syncNanoseconds = lastSyncNanoseconds
            }
            lastGroupRequests = group.count
        } catch {
            // After a failed pwrite or fdatasync the page-cache state is unknown (the kernel
            // may have dropped the dirty pages): never retry, fail the log.
            failure = error
            for (request, outcome) in zip(group, outcomes) where outcome != nil { request.fail(error) }
            return
        }
        // Segments this group rolled away from are sealed now: swap in descriptor-less
        // copies before publishing, so anyone who sees the watermark sees the sealed ones.
        for segment in touched where segment !== tail && segment.file != nil {
            segments.replace(segment, with: segment.sealed())
        }
        watermark.publish(committed)
        counters.committed(records: Int(committed - groupFirst), bytes: bytesWritten - groupBytes)
        for (request, outcome) in zip(group, outcomes) {
            if let outcome { request.acknowledgement.resume(returning: outcome) }
        }
        configuration.groupCommitted?(GroupCommit(
            requests: group.count, records: Int(committed - groupFirst), bytes: bytesWritten - groupBytes,
            syncSeconds: syncNanoseconds.map { Double($0) / 1e9 }))
    }

    /// Durability point of a group: one `fdatasync` per segment the group touched.
    ///
    /// Why this is sufficient: the records were written with `pwrite` (`RecordStager`) into
    /// the file's page cache, whose pages are also what readers' MAP_SHARED mappings show;
    /// `fdatasync` writes back every dirty page of the file (Linux's `msync(MS_SYNC)` is the
    /// same `vfs_fsync_range(datasync: 1)` call) and the metadata
    /// needed to read them back (the preallocated extents turning from unwritten to written).
    /// The file size never changes after preallocation and new files were already made
    /// durable with their directory entry (`Segment.create`), so no full `fsync` is needed.
    private func syncTouched() throws(StorageError) {
        try stager.flush()
        for (i, segment) in touched.enumerated() where !touched[..<i].contains(where: { $0 === segment }) {
            try segment.syncData()
            counters.synced()
        }
    }

    private func write(_ request: AppendRequest) throws(StorageError) {
        if nextSeq - groupStart + UInt64(request.count) > UInt64(UInt32.max) {
            // Keep `groupOffset` within 32 bits: make what is written so far durable and
            // start a new write group (acknowledgements still wait for the final sync).
            try syncTouched()
            groupStart = nextSeq
        }
        switch request.records {
        case let .one(kind, payload):
            try write(kind: kind, payload: payload)
        case let .many(batch):
            // Keep a request inside one segment whenever it fits in one, so a failed roll
            // never leaves half a request behind.
            var total = 0
            for record in batch { total += RecordHeader.storedBytes(payloadBytes: record.payload.count) }
            let capacity = configuration.segmentBytes - Segment.dataStart
            if total <= capacity && writeOffset + total > tail.byteCount { try roll() }
            for record in batch { try write(kind: record.kind, payload: record.payload) }
        case .seal:
            if writeOffset > Segment.dataStart { try roll() }
        }
    }

    private func write(kind: RecordKind, payload: [UInt8]) throws(StorageError) {
        let stored = RecordHeader.storedBytes(payloadBytes: payload.count)
        if writeOffset + stored > tail.byteCount { try roll() }
        precondition(writeOffset + stored <= tail.byteCount, "record larger than a segment passed validation")
        let header = RecordHeader(payloadBytes: UInt32(payload.count), seq: nextSeq, kind: kind,
                                  groupOffset: UInt32(nextSeq - groupStart))
        // The writable tail always keeps its descriptor (only sealed copies drop it).
        guard let file = tail.file else { preconditionFailure("the tail segment has no file descriptor") }
        let staged = payload.withUnsafeBytes { source in
            Result { () throws(StorageError) in try stager.stage(header, payload: source, file: file, offset: writeOffset) }
        }
        try staged.get()
        if writeOffset >= nextIndexOffset {
            tail.indexRecord(seq: nextSeq, offset: writeOffset)
            nextIndexOffset = writeOffset + configuration.indexIntervalBytes
        }
        writeOffset += stored
        bytesWritten += stored
        nextSeq += 1
    }

    /// Seals the tail and starts a new segment named by the next seq.
    private func roll() throws(StorageError) {
        let segment = try Segment.create(in: directory, baseSeq: nextSeq, bytes: configuration.segmentBytes,
                                         indexIntervalBytes: configuration.indexIntervalBytes)
        segments.append(segment)
        tail = segment
        writeOffset = Segment.dataStart
        nextIndexOffset = Segment.dataStart
        touched.append(segment)
    }
}
