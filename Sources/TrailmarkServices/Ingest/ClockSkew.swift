/// Clock-skew correction of SEMANTICS §1.
///
/// When a batch carries `sent_at` and the client's clock is off by more than `tolerance`
/// (`|receivedAt - sentAt| > tolerance`), each timestamp becomes
/// `receivedAt - (sentAt - timestamp)`; within the tolerance timestamps are kept as sent,
/// so transit time or a delayed retry never shifts a device's events.
public struct ClockSkew: Sendable {
    /// Microseconds; default 60 s.
    public var tolerance: Int64

    public init(tolerance: Int64 = 60_000_000) { self.tolerance = tolerance }

    /// The offset to add to every timestamp of a batch (0 when the clock counts as right).
    public func offset(receivedAt: Int64, sentAt: Int64?) -> Int64 {
        guard let sentAt else { return 0 }
        let (skew, overflow) = receivedAt.subtractingReportingOverflow(sentAt)
        guard !overflow, skew.magnitude > UInt64(tolerance) else { return 0 }
        return skew
    }

    /// The stored timestamp of an event: missing means `receivedAt`; otherwise corrected by
    /// `offset`, clamped to the valid range.
    public func correct(_ timestamp: Int64?, receivedAt: Int64, offset: Int64) -> Int64 {
        guard let timestamp else { return receivedAt }
        let (t, overflow) = timestamp.addingReportingOverflow(offset)
        if overflow { return offset > 0 ? EventValidator.timestampMax : 0 }
        return min(max(t, 0), EventValidator.timestampMax)
    }
}
