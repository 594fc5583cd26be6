import Glibc
import Synchronization
import TrailmarkStorage

/// Storage benchmarks (issue 4): log append throughput with group commit next to `dd` with
/// the same durability, recovery time of a 1 GiB log and the idle writer's CPU (the ring
/// against a `Mutex<Deque>` is the `ring` suite, `RingBench`). Data goes to a scratch directory under `$TMPDIR` (default /tmp).
enum StorageBench {
    static func run() async throws -> BenchTable {
        var table = BenchTable(title: "storage (segment log, recovery)")
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await appendRows(into: &table, scratch: scratch)
        try await recoveryRows(into: &table, scratch: scratch)
        return table
    }

    // MARK: Append throughput

    /// 1 KiB records in 64 KiB batches from 32 concurrent producers, group commit, against
    /// three `dd` anchors of the same bytes run right after it:
    /// - the issue's `bs=64k conv=fdatasync`: ONE sync at the very end (the log syncs once per
    ///   write group, so this anchor is not like for like; its ratio is the goal);
    /// - `bs=<the log's mean group> oflag=dsync`: as many syncs as the log made, each after
    ///   the same number of bytes (like for like: same bytes, same durability points);
    /// - `bs=64k oflag=dsync`: one sync per 64 KiB batch (what the log would do without
    ///   group commit).
    private static func appendRows(into table: inout BenchTable, scratch: Scratch) async throws {
        let totalBytes = 128 << 20
        let recordBytes = 1024
        let (seconds, statistics, syncSeconds) = try await appendRun(scratch: scratch, totalBytes: totalBytes, recordBytes: recordBytes, durability: .group)
        let (unsynced, _, _) = try await appendRun(scratch: scratch, totalBytes: totalBytes, recordBytes: recordBytes, durability: .none)
        let blocks = totalBytes / (64 << 10)
        let ddEnd = try dd(scratch.path + "/dd.bin", blockBytes: 64 << 10, blocks: blocks, flag: "conv=fdatasync")
        let syncs = max(Int(statistics.syncs), 1)
        let groupBytes = Int(statistics.bytes) / syncs
        let ddSame = try dd(scratch.path + "/dd.bin", blockBytes: groupBytes, blocks: syncs, flag: "oflag=dsync")
        let ddEach = try dd(scratch.path + "/dd.bin", blockBytes: 64 << 10, blocks: blocks / 4, flag: "oflag=dsync") // 1/4: one sync per block is slow
        let mbps = Double(totalBytes) / seconds / 1e6
        let ddEndMBps = Double(totalBytes) / ddEnd / 1e6
        let ddSameMBps = Double(groupBytes * syncs) / ddSame / 1e6
        let ddEachMBps = Double(totalBytes / 4) / ddEach / 1e6
        table.add("append 1 KiB recs, 64 KiB batches, group commit (\(syncs) syncs)", value: fmt(mbps, decimals: 1) + " MB/s",
                  anchor: "dd bs=64k conv=fdatasync (1 sync at end) " + fmt(ddEndMBps, decimals: 1) + " MB/s",
                  ratio: fmt(mbps / ddEndMBps) + "x", goal: ">= 0.5x")
        table.add("  same, records per second", value: fmt(Double(totalBytes / recordBytes) / seconds, decimals: 0) + " rec/s",
                  anchor: "mean group \(fmt(Double(groupBytes) / 1048576, decimals: 2)) MiB, \(statistics.groups) groups")
        table.add("  time in fdatasync (writer thread)", value: fmt(syncSeconds * 1000, decimals: 0) + " ms of " + fmt(seconds * 1000, decimals: 0) + " ms",
                  anchor: "\(syncs) syncs, \(fmt(syncSeconds * 1000 / Double(syncs))) ms each; \(fmt(Double(syncs) / (Double(totalBytes) / 1048576))) syncs/MiB (dd: \(fmt(1 / (Double(totalBytes) / 1048576), decimals: 4)))")
        table.add("  like for like: same bytes, same syncs", value: fmt(mbps, decimals: 1) + " MB/s",
                  anchor: "dd bs=\(groupBytes) oflag=dsync (\(syncs) syncs) " + fmt(ddSameMBps, decimals: 1) + " MB/s",
                  ratio: fmt(mbps / ddSameMBps) + "x")
        table.add("  vs one sync per 64 KiB batch", value: fmt(mbps, decimals: 1) + " MB/s",
                  anchor: "dd bs=64k oflag=dsync " + fmt(ddEachMBps, decimals: 1) + " MB/s",
                  ratio: fmt(mbps / ddEachMBps) + "x")
        let unsyncedMBps = Double(totalBytes) / unsynced / 1e6
        table.add("  durability none (no sync, reference)", value: fmt(unsyncedMBps, decimals: 1) + " MB/s",
                  anchor: "group " + fmt(mbps, decimals: 1) + " MB/s", ratio: fmt(mbps / unsyncedMBps) + "x")
    }

    /// Appends `totalBytes` of `recordBytes` records in 64 KiB batches from 32 concurrent
    /// producers (the group is what they have waiting); returns seconds until the last ack,
    /// the writer's statistics and the seconds its syncs took.
    private static func appendRun(scratch: Scratch, totalBytes: Int, recordBytes: Int,
                                  durability: LogConfiguration.Durability) async throws -> (Double, WriteStatistics, Double) {
        let batchRecords = (64 << 10) / recordBytes
        let batches = totalBytes / (recordBytes * batchRecords)
        let producers = 32
        let directory = scratch.path + "/append"
        var configuration = LogConfiguration()
        configuration.durability = durability
        configuration.logger.logLevel = .error
        let syncNanoseconds = SyncTime()
        configuration.groupCommitted = { commit in
            if let seconds = commit.syncSeconds { syncNanoseconds.total.add(UInt64(seconds * 1e9), ordering: .relaxed) }
        }
        let log = try SegmentLog.open(directory: directory, configuration: configuration)
        let batch = (0..<batchRecords).map { _ in AppendRecord(kind: .eventBatch, payload: [UInt8](repeating: 0x5A, count: recordBytes)) }
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    for _ in stride(from: producer, to: batches, by: producers) { _ = try await log.append(batch) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(clock.now - started)
        let statistics = log.writeStatistics
        await log.close()
        scratch.removeDirectory(directory)
        return (elapsed, statistics, Double(syncNanoseconds.total.load(ordering: .relaxed)) / 1e9)
    }

    /// Sum of the writer's sync times, added from its `groupCommitted` hook.
    private final class SyncTime: Sendable {
        let total = Atomic<UInt64>(0)
    }

    /// Runs `dd if=/dev/zero of=path bs=blockBytes count=blocks <flag>` and returns its wall time.
    private static func dd(_ path: String, blockBytes: Int, blocks: Int, flag: String) throws -> Double {
        let clock = ContinuousClock()
        let started = clock.now
        let status = try spawnAndWait("/bin/dd", ["if=/dev/zero", "of=\(path)", "bs=\(blockBytes)", "count=\(blocks)", flag, "status=none"])
        guard status == 0 else { throw BenchError(message: "dd exited with status \(status)") }
        let elapsed = seconds(clock.now - started)
        unlink(path)
        return elapsed
    }

    // MARK: Recovery and idle CPU

    private static func recoveryRows(into table: inout BenchTable, scratch: Scratch) async throws {
        let directory = scratch.path + "/recovery"
        var configuration = LogConfiguration()
        configuration.durability = .none // filling only; the measurement is the reopen
        configuration.logger.logLevel = .error
        let log = try SegmentLog.open(directory: directory, configuration: configuration)
        let batch = (0..<1024).map { i in AppendRecord(kind: .eventBatch, payload: [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 1000)) }
        let recordsBytes = 1024 + 0 // header 24 + payload 1000, already 8-aligned
        while log.committedEnd * UInt64(recordsBytes) < 1 << 30 { _ = try await log.append(batch) }

        // Idle writer: CPU used by the process over one second with nothing to do.
        let cpuBefore = processCPUSeconds()
        try await Task.sleep(for: .seconds(1))
        let idle = (processCPUSeconds() - cpuBefore) * 100
        await log.close()
        table.add("idle writer CPU (1 s, parked)", value: fmt(idle) + " %", goal: "~0 %")

        var reopenConfiguration = LogConfiguration()
        reopenConfiguration.logger.logLevel = .error
        let clock = ContinuousClock()
        let started = clock.now
        let reopened = try SegmentLog.open(directory: directory, configuration: reopenConfiguration)
        let recovery = seconds(clock.now - started)
        let report = reopened.recoveryReport
        await reopened.close()
        scratch.removeDirectory(directory)
        let gib = Double(report.recordsVerified * recordsBytes) / Double(1 << 30)
        table.add("recovery of a \(fmt(gib)) GiB log (warm cache)", value: fmt(recovery, decimals: 3) + " s",
                  anchor: "\(report.recordsVerified) records, \(report.segmentCount) segments",
                  ratio: fmt(gib / recovery) + " GiB/s", goal: "< 2 s")
    }

    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
