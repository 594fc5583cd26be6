/// What a compaction does with one record (`SegmentLog.rewrite(records:_:)`).
public enum RecordRewrite: Sendable {
    /// Copy the record verbatim (header, CRC and padding unchanged).
    case keep
    /// Leave the record out; its seq is never reused.
    case drop
    /// Store this payload instead, under the same seq and kind (new length and CRC).
    case replace([UInt8])
}
