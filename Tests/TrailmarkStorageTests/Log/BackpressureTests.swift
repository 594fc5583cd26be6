import Dispatch
import Synchronization
import Testing
@testable import TrailmarkStorage
import TrailmarkWire

/// Holds the log writer inside its first commit until released, so a test can fill the
/// ring and the waitroom deterministically.
private final class WriterGate: Sendable {
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    private let first = Mutex(true)

    func hook() {
        let isFirst = first.withLock { value in
            defer { value = false }
            return value
        }
        guard isFirst else { return }
        entered.signal()
        release.wait()
    }

    /// Waits (off the cooperative pool) until the writer is held.
    func waitUntilHeld() async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.entered.wait()
                continuation.resume()
            }
        }
    }
}

@Suite struct BackpressureTests {
    private func heldLog(_ dir: TemporaryDirectory, deadline: Duration) throws -> (SegmentLog, WriterGate) {
        let gate = WriterGate()
        var configuration = smallConfiguration(ringCapacity: 2)
        configuration.producerDeadline = deadline
        configuration.writerWillCommitForTesting = { gate.hook() }
        return (try SegmentLog.open(directory: dir.path, configuration: configuration), gate)
    }

    private func waitForWaiters(_ log: SegmentLog, count: Int) async {
        while log.writer.waitroom.count < count { await Task.yield() }
    }

    private typealias AppendTask = Task<UInt64, any Error>

    /// Opens a log whose writer is held inside its first group (holding seq 0), with its
    /// ring of 2 slots full (seqs 1 and 2): every further append must wait.
    private func saturatedLog(_ dir: TemporaryDirectory, deadline: Duration)
        async throws -> (log: SegmentLog, gate: WriterGate, first: AppendTask, queued: [AppendTask])
    {
        let (log, gate) = try heldLog(dir, deadline: deadline)
        let first = Task { try await log.append([0], kind: .eventBatch) }
        await gate.waitUntilHeld()
        let queued = (1...2).map { i in Task { try await log.append([UInt8(i)], kind: .eventBatch) } }
        while !log.writer.ring.isFull { await Task.yield() }
        return (log, gate, first, queued)
    }

    @Test func producersPastTheDeadlineFailOverloadedAndAreNotStored() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (log, gate, first, queued) = try await saturatedLog(dir, deadline: .milliseconds(50))
        // Three more requests wait, then time out.
        let overflow = (3...5).map { i in Task { try await log.append([UInt8(i)], kind: .eventBatch) } }
        for task in overflow {
            let error = await #expect(throws: StorageError.self) { _ = try await task.value }
            #expect(error?.code == .overloaded)
        }
        gate.release.signal()
        #expect(try await first.value == 0)
        var seqs: [UInt64] = []
        for task in queued { seqs.append(try await task.value) }
        #expect(seqs.sorted() == [1, 2])
        #expect(try readAll(log).map { $0.payload[0] }.sorted() == [0, 1, 2])
        await log.close()
    }

    @Test func suspendedProducersAreAdmittedInOrderWhenSpaceFrees() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (log, gate, first, queued) = try await saturatedLog(dir, deadline: .seconds(60))
        var tasks = queued
        for i in 3...6 {
            tasks.append(Task { try await log.append([UInt8(i)], kind: .eventBatch) })
            await waitForWaiters(log, count: i - 2)
        }
        gate.release.signal()
        #expect(try await first.value == 0)
        var seqs: [UInt64] = []
        for task in tasks { seqs.append(try await task.value) }
        #expect(Set(seqs) == Set(1...6))
        // The waitroom admits oldest first: the suspended producers keep their order.
        #expect(Array(seqs[2...]) == seqs[2...].sorted())
        await log.close()
    }

    @Test func closeFlushesEverythingAlreadyAccepted() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let (log, gate, first, queued) = try await saturatedLog(dir, deadline: .seconds(60))
        let waiting = Task { try await log.append([3], kind: .eventBatch) }
        await waitForWaiters(log, count: 1)
        let closing = Task { await log.close() }
        gate.release.signal()
        await closing.value
        _ = try await first.value
        for task in queued { _ = try await task.value }
        _ = try await waiting.value
        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(reopened.recoveryReport.nextSeq == 4)
        await reopened.close()
    }
}

extension BackpressureTests {
    @Test func overloadedMapsToResourceExhausted() {
        #expect(StorageError(.overloaded, "full").statusCode == .resourceExhausted)
        #expect(StorageError(.closed, "closed").statusCode == .unavailable)
        #expect(StorageError(.invalidArgument, "big").statusCode == .invalidArgument)
        #expect(StorageError(.corrupted, "bad").statusCode == .dataLoss)
        #expect(StorageError(.io, "eio").statusCode == .internalError)
    }
}
