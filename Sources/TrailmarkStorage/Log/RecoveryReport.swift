/// What opening the log found and did (`docs/STORAGE.md` § Recovery).
public struct RecoveryReport: Hashable, Sendable, CustomStringConvertible {
    /// Segments in the log after recovery.
    public var segmentCount = 0
    /// Records whose CRC32C was verified.
    public var recordsVerified = 0
    /// The first seq still in the log (earlier ones were removed by retention).
    public var firstSeq: UInt64 = 0
    /// The seq the next append gets (= the committed watermark after recovery).
    public var nextSeq: UInt64 = 0
    /// Bytes of torn tail zeroed (never-acknowledged partial write group).
    public var tornBytesTruncated = 0
    /// Segment files removed because they held only a torn write group (or a torn header).
    public var tornSegmentsRemoved: [String] = []
    /// Files the `repair` option wrote: the bad region and everything after, moved aside.
    public var corruptFiles: [String] = []

    public var description: String {
        var text = "\(segmentCount) segments, \(recordsVerified) records verified, seqs \(firstSeq)..<\(nextSeq)"
        if tornBytesTruncated > 0 { text += ", torn tail of \(tornBytesTruncated) bytes truncated" }
        if !tornSegmentsRemoved.isEmpty { text += ", torn segments removed: \(tornSegmentsRemoved.joined(separator: ", "))" }
        if !corruptFiles.isEmpty { text += ", REPAIRED: moved aside \(corruptFiles.joined(separator: ", "))" }
        return text
    }
}
