import DequeModule
import TrailmarkWire

/// The SDK's bounded FIFO of events waiting to be sent. Holding at most `capacity` events,
/// it drops the **oldest** on overflow and counts them, so a long outage costs the oldest
/// data and bounded memory, never a crash. Pure value type (tested without I/O).
public struct EventQueue: Sendable {
    public let capacity: Int
    private var events = Deque<QueuedEvent>()
    /// Events dropped on overflow since creation.
    public private(set) var dropped: UInt64 = 0

    /// One event and its estimated encoded size.
    public struct QueuedEvent: Sendable {
        public var event: Event
        public var bytes: Int
    }

    public init(capacity: Int) {
        precondition(capacity >= 1, "an event queue holds at least one event")
        self.capacity = capacity
    }

    public var count: Int { events.count }
    public var isEmpty: Bool { events.isEmpty }

    /// Appends `event`, dropping the oldest if full.
    public mutating func append(_ event: Event) {
        if events.count >= capacity {
            events.removeFirst()
            dropped += 1
        }
        events.append(QueuedEvent(event: event, bytes: Self.estimatedBytes(event)))
    }

    /// Puts a batch that could not be sent back at the front (oldest first), keeping the
    /// capacity: if the queue filled meanwhile, the oldest of the batch are dropped.
    public mutating func putBack(_ batch: [Event]) {
        for event in batch.reversed() {
            if events.count >= capacity {
                dropped += 1
                continue
            }
            events.prepend(QueuedEvent(event: event, bytes: Self.estimatedBytes(event)))
        }
    }

    /// Removes and returns the oldest events: at most `eventsMax`, and no more than
    /// `bytesMax` estimated bytes (but always at least one event when not empty).
    public mutating func take(eventsMax: Int, bytesMax: Int) -> [Event] {
        var batch: [Event] = []
        var bytes = 0
        while let first = events.first, batch.count < eventsMax {
            if !batch.isEmpty, bytes + first.bytes > bytesMax { break }
            bytes += first.bytes
            batch.append(first.event)
            events.removeFirst()
        }
        return batch
    }

    /// An upper-bound estimate of an event's encoded size (strings plus per-field overhead).
    public static func estimatedBytes(_ event: Event) -> Int {
        var n = 48 + event.event.utf8.count + event.anonymousID.utf8.count
        n += (event.userID?.utf8.count ?? 0) + (event.sessionID?.utf8.count ?? 0) + (event.eventID?.utf8.count ?? 0)
        n += (event.url?.utf8.count ?? 0) + (event.path?.utf8.count ?? 0) + (event.referrer?.utf8.count ?? 0)
        for property in event.properties {
            n += 12 + property.key.utf8.count
            if case .string(let s) = property.value { n += s.utf8.count } else { n += 9 }
        }
        return n
    }
}
