import TrailmarkWire

/// The large fields of an event (url, path, referrer, properties, event id, received
/// time), kept by the engine only when it has no `RecordFetcher` to read them back from
/// the log. Rows with none of them store nothing (`nil`).
struct RowExtras: Sendable {
    var eventID: String?
    var url: String?
    var path: String?
    var referrer: String?
    var properties: Properties
    var receivedAt: Int64?

    /// The large fields of `event`, or nil when it has none.
    static func of(_ event: Event) -> RowExtras? {
        if event.eventID == nil && event.url == nil && event.path == nil && event.referrer == nil
            && event.properties.isEmpty && event.receivedAt == nil
        {
            return nil
        }
        return RowExtras(
            eventID: event.eventID, url: event.url, path: event.path, referrer: event.referrer,
            properties: event.properties, receivedAt: event.receivedAt
        )
    }
}

/// Reads a stored event back from the log by project and `seq` (the row's reference to
/// its record: `recordSeq << 20 | index`), including the `$identify` events derived
/// from identify records (`Identify.impliedEvent(seq:)`, which carries the identify's
/// received time). With a fetcher the engine keeps no large fields in memory.
public typealias RecordFetcher = @Sendable (_ project: String, _ seq: UInt64) -> Event?
