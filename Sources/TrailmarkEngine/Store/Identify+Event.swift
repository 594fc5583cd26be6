import TrailmarkWire

extension Identify {
    /// The name of the event an identify implies.
    public static let impliedEventName = "$identify"

    /// The attribution of every `$identify` event: it has no url and no referrer, so
    /// SEMANTICS §6 rule 12 gives `direct`/`direct` (rule `direct`, high confidence).
    static let impliedAttribution = AttributionClassifier.classify(url: nil, referrer: nil)

    /// The time of a stored identify and of its `$identify` event: its `timestamp` (the
    /// identity service always sets one), else — as for events — its received time, else 0.
    var storedTimestamp: Int64 { timestamp ?? receivedAt ?? 0 }

    /// The `$identify` event this stored identify implies (SEMANTICS §1), as queries
    /// return it: the identify's `anonymous_id`, `user_id`, timestamp and `received_at`,
    /// empty `properties` (the traits stay on the identify), no session, event id, url,
    /// path or referrer, `direct`/`direct` attribution, and `seq`.
    ///
    /// The engine derives its rows with this; a `RecordFetcher` reading an identify record
    /// back from the log returns this event for the identify's seq
    /// (`StoredEventBatch.eventSeq(recordSeq:index:)`).
    public func impliedEvent(seq: UInt64) -> Event {
        Event(
            event: Identify.impliedEventName, anonymousID: anonymousID, userID: userID.isEmpty ? nil : userID, timestamp: storedTimestamp,
            receivedAt: receivedAt, attribution: Identify.impliedAttribution, seq: seq
        )
    }
}
