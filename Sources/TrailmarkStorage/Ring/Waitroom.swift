import DequeModule
import Synchronization

/// Where producers wait, suspended, while the ring is full: backpressure without loss.
///
/// A producer that finds the ring full enters here with its request (its continuation stays
/// suspended). The consumer admits waiting requests in arrival order as it frees ring slots,
/// at most as many as it freed, so the number of requests in flight stays bounded by ring
/// capacity plus suspended producers. A request not admitted before its deadline is taken
/// back out by its timer and failed with `overloaded`; `admit` and `expire` race under the
/// mutex, so exactly one of them gets each request.
final class Waitroom<Element: Sendable>: Sendable {
    private struct Entry {
        var id: UInt64
        var element: Element
        var timer: Task<Void, Never>?
    }

    private struct State {
        var entries: Deque<Entry> = []
        var nextID: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Adds a waiting request whose timer is made by `makeTimer(id)`; returns false (and
    /// makes no timer) once the room is closed.
    func enter(_ element: Element, makeTimer: (UInt64) -> Task<Void, Never>) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            let id = state.nextID
            state.nextID += 1
            state.entries.append(Entry(id: id, element: element, timer: makeTimer(id)))
            return true
        }
    }

    /// Removes the request `id` if it is still waiting (its deadline passed).
    func expire(_ id: UInt64) -> Element? {
        state.withLock { state in
            guard let index = state.entries.firstIndex(where: { $0.id == id }) else { return nil }
            return state.entries.remove(at: index).element
        }
    }

    /// Consumer: moves up to `limit` waiting requests, oldest first, into `output` and
    /// cancels their timers. Returns how many.
    func admit(into output: inout [Element], limit: Int) -> Int {
        guard limit > 0 else { return 0 }
        let admitted: [Entry] = state.withLock { state in
            let count = min(limit, state.entries.count)
            guard count > 0 else { return [] }
            let taken = Array(state.entries.prefix(count))
            state.entries.removeFirst(count)
            return taken
        }
        for entry in admitted {
            entry.timer?.cancel()
            output.append(entry.element)
        }
        return admitted.count
    }

    var isEmpty: Bool { state.withLock { $0.entries.isEmpty } }

    /// Requests waiting now.
    var count: Int { state.withLock { $0.entries.count } }

    /// Refuses new entries; returns false if it was already closed.
    @discardableResult
    func close() -> Bool {
        state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
    }
}
