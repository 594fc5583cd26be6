import Atomics
import Synchronization

/// One past the last durable (committed) seq, published by the log writer to readers, plus
/// the tasks waiting for it to pass a seq.
///
/// Memory ordering: the writer copies a group's records into the mapping and makes them
/// durable, then stores the new watermark with **release**. A reader **acquire**-loads it,
/// so every byte of every record with seq < watermark is visible to that reader, and the
/// reader touches no byte of a record at or past it (the writer may be writing those).
/// The watermark only grows.
final class CommittedWatermark: Sendable {
    private struct Waiter {
        var id: UInt64
        var seq: UInt64
        var continuation: CheckedContinuation<UInt64, any Error>
    }

    private struct Waiters {
        var list: [Waiter] = []
        var nextID: UInt64 = 0
        /// Ids handed out but not yet registered in `list`.
        var unregistered: Set<UInt64> = []
        /// Ids cancelled while unregistered (cancellation raced the registration).
        var cancelledEarly: Set<UInt64> = []
        var closed = false
    }

    private let end: ManagedAtomic<UInt64>
    private let waiters = Mutex(Waiters())

    init(_ initial: UInt64) {
        end = ManagedAtomic(initial)
    }

    /// The current watermark (acquire: see the type's comment).
    func load() -> UInt64 { end.load(ordering: .acquiring) }

    /// Writer only: publishes `value` (release) and resumes every waiter it satisfies.
    func publish(_ value: UInt64) {
        end.store(value, ordering: .releasing)
        let ready: [Waiter] = waiters.withLock { state in
            guard !state.list.isEmpty else { return [] }
            var ready: [Waiter] = []
            state.list.removeAll { waiter in
                guard waiter.seq < value else { return false }
                ready.append(waiter)
                return true
            }
            return ready
        }
        for waiter in ready { waiter.continuation.resume(returning: value) }
    }

    /// Suspends until the watermark exceeds `seq`; returns the watermark then.
    /// Throws `closed` once the log is closed, `CancellationError` if the task is cancelled.
    func wait(past seq: UInt64) async throws -> UInt64 {
        let now = load()
        if now > seq { return now }
        let id = waiters.withLock { state in
            defer { state.nextID += 1 }
            state.unregistered.insert(state.nextID)
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let resumeNow: Result<UInt64, any Error>? = waiters.withLock { state in
                    state.unregistered.remove(id)
                    if state.closed { return .failure(StorageError(.closed, "the log is closed")) }
                    if state.cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    // Re-check under the lock: `publish` stores before it takes the lock, so
                    // either this sees the new value or `publish` sees this waiter.
                    let current = load()
                    if current > seq { return .success(current) }
                    state.list.append(Waiter(id: id, seq: seq, continuation: continuation))
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let cancelled: Waiter? = waiters.withLock { state in
                if let index = state.list.firstIndex(where: { $0.id == id }) { return state.list.remove(at: index) }
                // Not registered yet: the registration will see this and fail. (Already
                // resumed: nothing to do.)
                if state.unregistered.remove(id) != nil { state.cancelledEarly.insert(id) }
                return nil
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Fails every waiter (and every later `wait`) with `closed`.
    func close() {
        let pending: [Waiter] = waiters.withLock { state in
            state.closed = true
            defer { state.list = [] }
            return state.list
        }
        for waiter in pending { waiter.continuation.resume(throwing: StorageError(.closed, "the log is closed")) }
    }
}
